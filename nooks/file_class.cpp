// Files for extensions (nooks/file.h). Every path is copied into the kernel once, checked, and
// joined to the extension's root; the VFS does the rest. nk_socket_send_file moves a file's bytes
// from the VFS to a socket through a kernel buffer: the extension (the web server) decides what
// to send, and the data never crosses into its domain.
#include <kernel/fs/file.h>
#include <kernel/fs/fs.h>
#include <kernel/fs/vfs.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/net/socket.h>
#include <kernel/time/clock.h>
#include <nooks/extension_manager.h>
#include <nooks/file_class.h>
#include <nooks/socket_class.h>
#include <nooks/xpc.h>

#include <string.h>

namespace nooks {

namespace {

constexpr nk::usize FULL_PATH_MAX = NK_FILE_PATH_MAX + 64;
// One read and one send at a time: large enough that a big file goes out in few sends.
constexpr nk::usize SEND_CHUNK = 64 * 1024;

struct FullPath {
    char text[FULL_PATH_MAX];
};

// `path` below the extension's root. NotPermitted when it has no root, or the path climbs out
// (a ".." component) or has a backslash; NameTooLong when it is too long.
nk::ErrorOr resolve(Extension& extension, const char* path, FullPath& out) {
    // Copied first, so that what is checked is what is used.
    char copy[NK_FILE_PATH_MAX];
    nk::usize length = strnlen(path, sizeof copy);
    if (length == sizeof copy)
        return nk::Error::NameTooLong;
    memcpy(copy, path, length + 1);
    auto root_length = extension_parameter(extension, "root", out.text, sizeof out.text);
    if (root_length.is_error() || root_length.value() == 0 || out.text[0] != '/')
        return nk::Error::NotPermitted;
    if (root_length.value() >= sizeof out.text)
        return nk::Error::NameTooLong;
    for (const char* component = copy; *component;) {
        while (*component == '/')
            ++component;
        const char* end = component;
        while (*end && *end != '/')
            ++end;
        if (end - component == 2 && component[0] == '.' && component[1] == '.')
            return nk::Error::NotPermitted;
        component = end;
    }
    if (strchr(copy, '\\'))
        return nk::Error::NotPermitted;
    nk::usize used = root_length.value();
    const char* relative = copy;
    while (*relative == '/')
        ++relative;
    if (used + 1 + strlen(relative) + 1 > sizeof out.text)
        return nk::Error::NameTooLong;
    if (*relative) {
        if (out.text[used - 1] != '/')
            out.text[used++] = '/';
        strcpy(out.text + used, relative);
    }
    return {};
}

nk::u32 file_type(nk::abi::FileType type) {
    switch (type) {
    case nk::abi::FileType::Regular:
        return NK_FILE_REGULAR;
    case nk::abi::FileType::Directory:
        return NK_FILE_DIRECTORY;
    default:
        return 0;
    }
}

// Sends all of [data, data+length) or as much as the peer took by `deadline_ns`.
nk::Result<nk::usize> send_until(kernel::fs::File& socket, const nk::u8* data, nk::usize length,
                                 nk::u64 deadline_ns) {
    nk::usize sent = 0;
    while (sent < length && kernel::clock::nanoseconds_since_boot() < deadline_ns) {
        auto wrote = kernel::net::send_to(socket, data + sent, length - sent, nullptr);
        restart_watchdog(); // blocking is not hanging
        if (wrote.is_error()) {
            if (wrote.error() == nk::Error::TimedOut || wrote.error() == nk::Error::Again)
                break;
            if (sent == 0)
                return wrote.error();
            break;
        }
        if (wrote.value() == 0)
            break;
        sent += wrote.value();
    }
    return sent;
}

} // namespace

nk_status file_stat(Extension& extension, const char* path, nk_file_info* out) {
    FullPath full;
    if (auto resolved = resolve(extension, path, full); resolved.is_error())
        return -long(resolved.error());
    auto status = kernel::fs::vfs().stat("/", full.text);
    if (status.is_error())
        return -long(status.error());
    *out = {status.value().size, status.value().modified_ns / 1000000000ull,
            file_type(status.value().type), 0};
    return 0;
}

long dir_list(Extension& extension, const char* path, nk::u64 start, nk_dir_entry* entries,
              nk::u32 max) {
    FullPath full;
    if (auto resolved = resolve(extension, path, full); resolved.is_error())
        return -long(resolved.error());
    max = nk::min<nk::u32>(max, NK_DIR_LIST_MAX);
    auto opened = kernel::fs::vfs().open("/", full.text, nk::abi::O_RDONLY | nk::abi::O_DIRECTORY);
    if (opened.is_error())
        return -long(opened.error());
    kernel::fs::File* directory = opened.value();
    nk::abi::DirEntry batch[16];
    nk::u64 index = 0;
    nk::u32 written = 0;
    long result = 0;
    while (written < max) {
        auto got = directory->read_directory(batch, sizeof batch / sizeof batch[0]);
        if (got.is_error()) {
            result = -long(got.error());
            break;
        }
        if (got.value() == 0)
            break;
        for (nk::usize i = 0; i < got.value() && written < max; ++i) {
            const auto& entry = batch[i];
            if (strcmp(entry.name, ".") == 0 || strcmp(entry.name, "..") == 0)
                continue;
            if (index++ < start)
                continue;
            nk_dir_entry& out = entries[written++];
            out = {};
            strncpy(out.name, entry.name, sizeof out.name - 1);
            out.size = entry.size;
            out.type = file_type(entry.type);
        }
    }
    directory->unref();
    return result < 0 ? result : long(written);
}

long socket_send_file(Extension& extension, nk_socket_handle socket, const char* path,
                      const nk_send_file& request, nk::i64* received) {
    *received = -NK_ECANCELED;
    FullPath full;
    if (auto resolved = resolve(extension, path, full); resolved.is_error())
        return -long(resolved.error());
    const void* head = request.head;
    nk::usize head_length = request.head_length;
    nk::u64 offset = request.offset;
    nk::u64 length = request.length;
    if (request.check) {
        // The VFS keeps file attributes (nooks/fs_proxy.cpp): this costs no crossing.
        auto status = kernel::fs::vfs().stat("/", full.text);
        if (status.is_error())
            return -long(status.error());
        if (status.value().size != request.expected.size ||
            status.value().modified_ns / 1000000000ull != request.expected.modified ||
            file_type(status.value().type) != request.expected.type)
            return -NK_ESTALE;
    }
    kernel::fs::File& connection = socket_file(socket);
    if (auto set = kernel::net::set_option(connection, nk::abi::SocketOption::SendTimeoutMs,
                                           NK_SOCKET_WAIT_MAX_MS);
        set.is_error())
        return -long(set.error());
    nk::u64 deadline = kernel::clock::nanoseconds_since_boot() + NK_SOCKET_WAIT_MAX_MS * 1000000ull;
    kernel::fs::File* file = nullptr;
    if (length) {
        auto opened = kernel::fs::vfs().open("/", full.text, nk::abi::O_RDONLY);
        if (opened.is_error())
            return -long(opened.error());
        file = opened.value();
        if (auto moved = file->seek(nk::i64(offset), nk::abi::SEEK_SET); moved.is_error()) {
            file->unref();
            return -long(moved.error());
        }
    }
    auto* buffer = static_cast<nk::u8*>(kmalloc(SEND_CHUNK));
    if (!buffer) {
        if (file)
            file->unref();
        return -NK_ENOMEM;
    }
    // A small header goes in front of the file's first bytes, so that a small response leaves
    // as one segment.
    nk::usize queued = 0;
    const auto* head_bytes = static_cast<const nk::u8*>(head);
    nk::u64 total = 0;
    long error = 0;
    if (head_length > SEND_CHUNK / 2) {
        auto sent = send_until(connection, head_bytes, head_length, deadline);
        if (sent.is_error())
            error = -long(sent.error());
        else
            total = sent.value();
        if (error || total < head_length)
            length = 0;
    } else if (head_length) {
        memcpy(buffer, head_bytes, head_length);
        queued = head_length;
    }
    bool first = true;
    bool short_file = false;
    while ((queued || length) && !error) {
        if (length && queued < SEND_CHUNK) {
            auto got = file->read(buffer + queued, nk::min<nk::u64>(length, SEND_CHUNK - queued));
            if (got.is_error()) {
                error = -long(got.error());
                break;
            }
            if (got.value() == 0) {
                // The file is shorter than asked (it changed meanwhile): what is queued still
                // goes; the caller learns of it when it asks for the rest.
                short_file = true;
                length = 0;
                if (!queued)
                    break;
            }
            length -= got.value();
            queued += got.value();
        }
        if (!first && kernel::clock::nanoseconds_since_boot() >= deadline)
            break;
        first = false;
        auto sent = send_until(connection, buffer, queued, deadline);
        if (sent.is_error()) {
            error = -long(sent.error());
            break;
        }
        total += sent.value();
        if (sent.value() < queued)
            break; // the peer is slow: the caller goes on from here
        queued = 0;
    }
    kfree(buffer);
    if (file)
        file->unref();
    // Bytes that went out count even when the rest failed: the caller's position must be right.
    if (!error && short_file)
        error = -NK_EIO;
    if (!error && total == request.head_length + request.length && request.receive_size)
        *received = socket_receive(socket, request.receive, request.receive_size,
                                   request.receive_timeout_ms);
    return total ? long(total) : error;
}

} // namespace nooks
