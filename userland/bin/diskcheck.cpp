// diskcheck [DIR]: the SHA-256 of every file under DIR (default /disk), one "HASH  PATH" line
// each, then "diskcheck: N files, M directories". Run as init (init=/bin/diskcheck) it powers
// the machine off afterwards: how the Bochs test reads a disk with nobody at the keyboard.
#include <nk_string.h>
#include <userland/lib/file_hash.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>

namespace abi = nk::abi;

namespace {

constexpr int MAX_DEPTH = 16;
unsigned g_files = 0;
unsigned g_directories = 0;
unsigned g_errors = 0;

void hash_file(const char* path) {
    user::Sha256Hex hex;
    if (auto hashed = user::sha256_file(path, hex); hashed.is_error()) {
        printf("diskcheck: %s: %s\n", path, nk::error_string(hashed.error()));
        ++g_errors;
        return;
    }
    printf("%s  %s\n", hex, path);
    ++g_files;
}

void walk(const char* directory, int depth) {
    ++g_directories;
    auto fd = sys::open(directory, abi::O_RDONLY | abi::O_DIRECTORY);
    if (fd.is_error()) {
        printf("diskcheck: %s: %s\n", directory, nk::error_string(fd.error()));
        ++g_errors;
        return;
    }
    // Read the whole listing first: the walk below reuses nothing of it while recursing.
    constexpr nk::usize MAX_ENTRIES = 128;
    static abi::DirEntry entries[MAX_DEPTH][MAX_ENTRIES];
    nk::usize count = 0;
    for (;;) {
        auto got = sys::read_dir(fd.value(), entries[depth] + count, MAX_ENTRIES - count);
        if (got.is_error() || got.value() == 0)
            break;
        count += got.value();
        if (count == MAX_ENTRIES)
            break;
    }
    (void)sys::close(fd.value());
    for (nk::usize i = 0; i < count; ++i) {
        char path[abi::MAX_PATH];
        nk::usize length = nk::string_length(directory);
        if (length + 1 + nk::string_length(entries[depth][i].name) + 1 > sizeof path)
            continue;
        nk::copy_string(path, directory);
        nk::append_string(path, "/");
        nk::append_string(path, entries[depth][i].name);
        if (entries[depth][i].type == abi::FileType::Directory) {
            if (depth + 1 < MAX_DEPTH)
                walk(path, depth + 1);
        } else {
            hash_file(path);
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    const char* root = argc > 1 ? argv[1] : "/disk";
    walk(root, 0);
    printf("diskcheck: %u files, %u directories, %u errors\n", g_files, g_directories, g_errors);
    if (sys::get_pid() == 1)
        (void)sys::machine(abi::MachineCommand::PowerOff);
    return g_errors ? 1 : 0;
}
