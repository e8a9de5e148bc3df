// sha256sum FILE...: the SHA-256 of each file, as coreutils prints it ("HASH  NAME"), so tests
// compare what the guest read with the host's copies.
#include <sha256.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>

namespace {

constexpr nk::usize CHUNK = 64 * 1024;
char g_buffer[CHUNK];

int sum(const char* path) {
    auto fd = sys::open(path, nk::abi::O_RDONLY);
    if (fd.is_error()) {
        dprintf(2, "sha256sum: %s: %s\n", path, nk::error_string(fd.error()));
        return 1;
    }
    nk::Sha256 hash;
    for (;;) {
        auto got = sys::read(fd.value(), g_buffer, CHUNK);
        if (got.is_error()) {
            dprintf(2, "sha256sum: %s: %s\n", path, nk::error_string(got.error()));
            (void)sys::close(fd.value());
            return 1;
        }
        if (got.value() == 0)
            break;
        hash.update(g_buffer, got.value());
    }
    (void)sys::close(fd.value());
    nk::u8 digest[nk::Sha256::DIGEST_SIZE];
    hash.finish(digest);
    char hex[2 * nk::Sha256::DIGEST_SIZE + 1];
    nk::Sha256::to_hex(digest, hex);
    printf("%s  %s\n", hex, path);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        dprintf(2, "usage: sha256sum FILE...\n");
        return 2;
    }
    int status = 0;
    for (int i = 1; i < argc; ++i)
        status |= sum(argv[i]);
    return status;
}
