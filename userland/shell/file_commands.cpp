// The builtins that work on files and directories.
#include <format.h>
#include <nk/syscall_abi.h>
#include <nk_string.h>
#include <userland/lib/io.h>
#include <userland/lib/malloc.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>
#include <userland/shell/builtins.h>
#include <userland/shell/commands.h>

namespace shell::commands {

namespace abi = nk::abi;
using nk::usize;

namespace {

bool is_directory(const char* path) {
    abi::Stat status = {};
    return sys::stat(path, status).has_value() && status.type == abi::FileType::Directory;
}

// The last component of a path: "/etc/motd" -> "motd", "dir/" -> "dir/" (the trailing slash
// stays; the kernel ignores it).
const char* base_name(const char* path) {
    const char* base = path;
    for (const char* p = path; *p; ++p) {
        if (*p == '/' && p[1] != '\0' && p[1] != '/')
            base = p + 1;
    }
    return base;
}

// DIR/NAME into `out` (abi::MAX_PATH bytes); false if it does not fit.
bool join_path(const char* directory, const char* name, char* out) {
    usize length = nk::string_length(directory);
    bool slash = length > 0 && directory[length - 1] == '/';
    int needed =
        nk::format_to_buffer(out, abi::MAX_PATH, "%s%s%s", directory, slash ? "" : "/", name);
    return usize(needed) < abi::MAX_PATH;
}

// Where `cp SRC DST` and `mv SRC DST` put the file: into DST when it is a directory.
const char* destination_for(const char* source, const char* destination, char* buffer,
                            const char* command) {
    if (!is_directory(destination))
        return destination;
    if (!join_path(destination, base_name(source), buffer)) {
        report(command, destination, nk::Error::NameTooLong);
        return nullptr;
    }
    return buffer;
}

usize name_length(const abi::DirEntry& entry) {
    return nk::string_length_bounded(entry.name, sizeof(entry.name));
}

char type_letter(abi::FileType type) {
    switch (type) {
    case abi::FileType::Directory:
        return 'd';
    case abi::FileType::CharDevice:
        return 'c';
    case abi::FileType::Socket:
        return 's';
    case abi::FileType::Regular:
        return '-';
    }
    return '?';
}

void print_entry(int out, bool long_format, abi::FileType type, nk::u64 size, const char* name,
                 usize length) {
    const char* suffix = type == abi::FileType::Directory ? "/" : "";
    if (long_format)
        dprintf(out, "%c %10llu %.*s%s\n", type_letter(type), (unsigned long long)size, int(length),
                name, suffix);
    else
        dprintf(out, "%.*s%s\n", int(length), name, suffix);
}

bool entry_before(const abi::DirEntry& a, const abi::DirEntry& b) {
    return nk::compare_strings_bounded(a.name, b.name, sizeof(a.name)) < 0;
}

// Reads a whole directory into a malloc'ed array, sorted by name.
nk::Result<abi::DirEntry*> read_sorted(int fd, usize& count) {
    abi::DirEntry* entries = nullptr;
    usize capacity = 0;
    count = 0;
    for (;;) {
        if (count == capacity) {
            usize new_capacity = capacity ? capacity * 2 : 32;
            auto* grown =
                static_cast<abi::DirEntry*>(realloc(entries, new_capacity * sizeof(abi::DirEntry)));
            if (!grown) {
                free(entries);
                return nk::Error::NoMemory;
            }
            entries = grown;
            capacity = new_capacity;
        }
        auto got = sys::read_dir(fd, entries + count, capacity - count);
        if (got.is_error()) {
            free(entries);
            return got.error();
        }
        if (got.value() == 0)
            break;
        count += got.value();
    }
    // Insertion sort: directories here hold tens of entries, not thousands.
    for (usize i = 1; i < count; ++i) {
        abi::DirEntry entry = entries[i];
        usize j = i;
        for (; j > 0 && entry_before(entry, entries[j - 1]); --j)
            entries[j] = entries[j - 1];
        entries[j] = entry;
    }
    return entries;
}

int list_directory(Context& context, const char* path, bool long_format) {
    auto fd = sys::open(path, abi::O_RDONLY | abi::O_DIRECTORY);
    if (fd.is_error())
        return report("ls", path, fd.error());
    usize count = 0;
    auto entries = read_sorted(fd.value(), count);
    (void)sys::close(fd.value());
    if (entries.is_error())
        return report("ls", path, entries.error());
    for (usize i = 0; i < count; ++i) {
        const abi::DirEntry& entry = entries.value()[i];
        usize length = name_length(entry);
        bool dot = (length == 1 && entry.name[0] == '.') ||
                   (length == 2 && entry.name[0] == '.' && entry.name[1] == '.');
        if (!dot)
            print_entry(context.out, long_format, entry.type, entry.size, entry.name, length);
    }
    free(entries.value());
    return STATUS_OK;
}

// Calls `operation` on every path argument, reporting each failure; the status is 1 if any failed.
int for_each_path(int argc, const char* const* argv, nk::ErrorOr (*operation)(const char*)) {
    if (argc < 2)
        return usage(argv[0]);
    int status = STATUS_OK;
    for (int i = 1; i < argc; ++i) {
        auto result = operation(argv[i]);
        if (result.is_error())
            status = report(argv[0], argv[i], result.error());
    }
    return status;
}

const char* type_name(abi::FileType type) {
    switch (type) {
    case abi::FileType::Regular:
        return "regular file";
    case abi::FileType::Directory:
        return "directory";
    case abi::FileType::CharDevice:
        return "character device";
    case abi::FileType::Socket:
        return "socket";
    }
    return "unknown";
}

} // namespace

int ls(Context& context, int argc, const char* const* argv) {
    bool long_format = false;
    int first = 1;
    for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; ++first) {
        if (nk::compare_strings(argv[first], "-l") != 0)
            return usage("ls");
        long_format = true;
    }
    if (first == argc)
        return list_directory(context, ".", long_format);

    bool headers = argc - first > 1;
    int status = STATUS_OK;
    for (int i = first; i < argc; ++i) {
        const char* path = argv[i];
        abi::Stat info = {};
        if (auto result = sys::stat(path, info); result.is_error()) {
            status = report("ls", path, result.error());
            continue;
        }
        if (info.type != abi::FileType::Directory) {
            print_entry(context.out, long_format, info.type, info.size, path,
                        nk::string_length(path));
            continue;
        }
        if (headers)
            dprintf(context.out, "%s%s:\n", i == first ? "" : "\n", path);
        if (list_directory(context, path, long_format) != STATUS_OK)
            status = STATUS_FAILURE;
    }
    return status;
}

int cat(Context& context, int argc, const char* const* argv) {
    if (argc < 2)
        return usage("cat");
    int status = STATUS_OK;
    for (int i = 1; i < argc; ++i) {
        auto fd = sys::open(argv[i], abi::O_RDONLY);
        if (fd.is_error()) {
            status = report("cat", argv[i], fd.error());
            continue;
        }
        user::CopySide side = user::CopySide::Read;
        auto copied = user::copy_fd(fd.value(), context.out, &side);
        if (copied.is_error())
            status =
                report("cat", side == user::CopySide::Read ? argv[i] : "write", copied.error());
        (void)sys::close(fd.value());
    }
    return status;
}

int write(Context&, int argc, const char* const* argv) {
    if (argc < 3)
        return usage("write");
    const char* path = argv[1];
    auto fd = sys::open(path, abi::O_WRONLY | abi::O_CREAT | abi::O_TRUNC);
    if (fd.is_error())
        return report("write", path, fd.error());
    nk::ErrorOr result;
    for (int i = 2; i < argc && result.has_value(); ++i) {
        if (i > 2)
            result = user::write_all(fd.value(), " ", 1);
        if (result.has_value())
            result = user::write_string(fd.value(), argv[i]);
    }
    if (result.has_value())
        result = user::write_all(fd.value(), "\n", 1);
    (void)sys::close(fd.value());
    return result.is_error() ? report("write", path, result.error()) : STATUS_OK;
}

int cp(Context&, int argc, const char* const* argv) {
    if (argc != 3)
        return usage("cp");
    const char* source = argv[1];
    abi::Stat source_info = {};
    if (auto result = sys::stat(source, source_info); result.is_error())
        return report("cp", source, result.error());
    if (source_info.type == abi::FileType::Directory)
        return report("cp", source, nk::Error::IsDirectory);

    char buffer[abi::MAX_PATH];
    const char* target = destination_for(source, argv[2], buffer, "cp");
    if (!target)
        return STATUS_FAILURE;
    // Opening the target truncates it, which would destroy the source if they were one file.
    // Inodes alone could coincide across file systems; with size and change time they will not.
    abi::Stat target_info = {};
    if (sys::stat(target, target_info).has_value() && target_info.inode == source_info.inode &&
        target_info.size == source_info.size &&
        target_info.modified_ns == source_info.modified_ns) {
        dprintf(2, "cp: %s and %s are the same file\n", source, target);
        return STATUS_FAILURE;
    }

    auto from = sys::open(source, abi::O_RDONLY);
    if (from.is_error())
        return report("cp", source, from.error());
    auto to = sys::open(target, abi::O_WRONLY | abi::O_CREAT | abi::O_TRUNC);
    if (to.is_error()) {
        (void)sys::close(from.value());
        return report("cp", target, to.error());
    }
    user::CopySide side = user::CopySide::Read;
    auto copied = user::copy_fd(from.value(), to.value(), &side);
    (void)sys::close(from.value());
    (void)sys::close(to.value());
    if (copied.is_error())
        return report("cp", side == user::CopySide::Read ? source : target, copied.error());
    return STATUS_OK;
}

int mv(Context&, int argc, const char* const* argv) {
    if (argc != 3)
        return usage("mv");
    char buffer[abi::MAX_PATH];
    const char* target = destination_for(argv[1], argv[2], buffer, "mv");
    if (!target)
        return STATUS_FAILURE;
    if (auto result = sys::rename(argv[1], target); result.is_error())
        return report("mv", argv[1], result.error());
    return STATUS_OK;
}

int rm(Context&, int argc, const char* const* argv) {
    return for_each_path(argc, argv, sys::unlink);
}

int mkdir(Context&, int argc, const char* const* argv) {
    return for_each_path(argc, argv, sys::mkdir);
}

int mount(Context& context, int argc, const char* const* argv) {
    if (argc == 1)
        return print_info(context, argc, argv, abi::InfoKind::Mounts);
    if (argc != 4)
        return usage("mount");
    if (auto result = sys::mount(argv[1], argv[2], argv[3]); result.is_error())
        return report("mount", argv[3], result.error());
    return STATUS_OK;
}

int df(Context& context, int argc, const char* const* argv) {
    return print_info(context, argc, argv, abi::InfoKind::DiskUsage);
}

int lsblk(Context& context, int argc, const char* const* argv) {
    return print_info(context, argc, argv, abi::InfoKind::Disks);
}

int sync(Context&, int argc, const char* const* argv) {
    bool drop = argc == 2 && nk::compare_strings(argv[1], "-d") == 0;
    if (argc != 1 && !drop)
        return usage("sync");
    if (auto result = sys::sync(drop ? nk::abi::SYNC_DROP_CACHE : 0); result.is_error())
        return report("sync", nullptr, result.error());
    return STATUS_OK;
}

int umount(Context&, int argc, const char* const* argv) {
    if (argc != 2)
        return usage("umount");
    if (auto result = sys::unmount(argv[1]); result.is_error())
        return report("umount", argv[1], result.error());
    return STATUS_OK;
}

int rmdir(Context&, int argc, const char* const* argv) {
    return for_each_path(argc, argv, sys::rmdir);
}

int stat(Context& context, int argc, const char* const* argv) {
    if (argc < 2)
        return usage("stat");
    int status = STATUS_OK;
    for (int i = 1; i < argc; ++i) {
        abi::Stat info = {};
        if (auto result = sys::stat(argv[i], info); result.is_error()) {
            status = report("stat", argv[i], result.error());
            continue;
        }
        constexpr nk::u64 NS_PER_SECOND = 1000000000ull;
        dprintf(context.out,
                "  File: %s\n  Type: %s\n  Size: %llu bytes\n Inode: %llu\n Links: %u\n"
                "Change: %llu.%09llu s after boot\n",
                argv[i], type_name(info.type), (unsigned long long)info.size,
                (unsigned long long)info.inode, info.links,
                (unsigned long long)(info.modified_ns / NS_PER_SECOND),
                (unsigned long long)(info.modified_ns % NS_PER_SECOND));
    }
    return status;
}

int cd(Context&, int argc, const char* const* argv) {
    if (argc > 2)
        return usage("cd");
    // There are no users, so no home directory: cd alone goes to the root.
    const char* path = argc == 2 ? argv[1] : "/";
    if (auto result = sys::chdir(path); result.is_error())
        return report("cd", path, result.error());
    return STATUS_OK;
}

int pwd(Context& context, int argc, const char* const* argv) {
    if (argc != 1)
        return usage(argv[0]);
    char path[abi::MAX_PATH + 1];
    auto length = sys::getcwd(path, abi::MAX_PATH);
    if (length.is_error())
        return report("pwd", nullptr, length.error());
    dprintf(context.out, "%.*s\n", int(nk::min(length.value(), abi::MAX_PATH)), path);
    return STATUS_OK;
}

} // namespace shell::commands
