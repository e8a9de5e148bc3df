// File system calls: descriptors, reads and writes, and the name-space operations. Paths are
// copied in and resolved against the calling process's working directory.
#include <kernel/block/block_device.h>
#include <kernel/block/buffer_cache.h>
#include <kernel/fs/file.h>
#include <kernel/fs/file_table.h>
#include <kernel/fs/fs.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/process/processes.h>
#include <kernel/syscall/syscall_table.h>
#include <kernel/syscall/user_memory.h>
#include <nooks/fs_proxy.h>

#include <string.h>

namespace kernel::syscalls {

namespace {

// Reads and writes move through a bounce buffer on the kernel stack, in chunks of this size:
// no allocation, so console output still works when a process has taken all free memory.
constexpr nk::usize CHUNK = 1024;

struct PathArgument {
    char text[abi::MAX_PATH];
};

Result<PathArgument> path_argument(nk::u64 user_pointer) {
    PathArgument path;
    TRY(user::copy_string(path.text, sizeof path.text, user_pointer));
    return path;
}

Process& self() {
    return *processes::current();
}

Result<fs::RefPtr<fs::File>> file_argument(nk::u64 fd) {
    if (fd >= nk::u64(abi::MAX_FDS))
        return Error::BadHandle;
    return self().files->get(int(fd));
}

// Where data between a program and a file passes through the kernel: CHUNK bytes on the stack
// for small transfers; for larger ones up to LARGE_CHUNK from the heap, so that a 256 KiB read
// reaches a file system as one request (one crossing into an isolated one), not 64.
constexpr nk::usize LARGE_CHUNK = 256 * 1024;

class BounceBuffer {
public:
    explicit BounceBuffer(nk::usize wanted) {
        if (wanted > CHUNK) {
            m_heap = static_cast<nk::u8*>(kmalloc(nk::min(wanted, LARGE_CHUNK)));
            if (m_heap)
                m_size = nk::min(wanted, LARGE_CHUNK);
        }
    }
    ~BounceBuffer() {
        if (m_heap)
            kfree(m_heap);
    }
    BounceBuffer(const BounceBuffer&) = delete;
    BounceBuffer& operator=(const BounceBuffer&) = delete;
    nk::u8* data() { return m_heap ? m_heap : m_data; }
    nk::usize size() const { return m_size; }

private:
    nk::u8* m_heap = nullptr;
    nk::usize m_size = CHUNK;
    alignas(16) nk::u8 m_data[CHUNK];
};

Result<nk::i64> sys_read(const Frame& frame) {
    auto file = TRY(file_argument(frame.argument(0)));
    nk::u64 destination = frame.argument(1);
    nk::usize length = frame.argument(2);
    // Checked before reading: bytes taken from a device (the console) must not be lost to a
    // bad buffer afterwards.
    TRY(user::check(destination, length, true));
    BounceBuffer bounce(length);
    nk::usize total = 0;
    while (total < length) {
        nk::usize chunk = nk::min(length - total, bounce.size());
        nk::usize got = TRY(file->read(bounce.data(), chunk));
        TRY(user::copy_to(destination + total, bounce.data(), got));
        total += got;
        // A short read (end of file, a device with only so much ready) ends the call.
        if (got < chunk)
            break;
    }
    return nk::i64(total);
}

Result<nk::i64> sys_write(const Frame& frame) {
    auto file = TRY(file_argument(frame.argument(0)));
    nk::u64 source = frame.argument(1);
    nk::usize length = frame.argument(2);
    BounceBuffer bounce(length);
    nk::usize total = 0;
    while (total < length) {
        nk::usize chunk = nk::min(length - total, bounce.size());
        TRY(user::copy_from(bounce.data(), source + total, chunk));
        auto written = file->write(bounce.data(), chunk);
        if (written.is_error())
            return total > 0 ? Result<nk::i64>(nk::i64(total)) : written.error();
        total += written.value();
        if (written.value() < chunk)
            break;
    }
    return nk::i64(total);
}

Result<nk::i64> sys_open(const Frame& frame) {
    auto path = TRY(path_argument(frame.argument(0)));
    // install() takes the reference and drops it itself when the table is full.
    fs::File* file = TRY(fs::vfs().open(self().cwd, path.text, nk::u32(frame.argument(1))));
    return TRY(self().files->install(file));
}

Result<nk::i64> sys_close(const Frame& frame) {
    if (frame.argument(0) >= nk::u64(abi::MAX_FDS))
        return Error::BadHandle;
    TRY(self().files->close(int(frame.argument(0))));
    return 0;
}

Result<nk::i64> sys_dup2(const Frame& frame) {
    if (frame.argument(0) >= nk::u64(abi::MAX_FDS) || frame.argument(1) >= nk::u64(abi::MAX_FDS))
        return Error::BadHandle;
    TRY(self().files->dup2(int(frame.argument(0)), int(frame.argument(1))));
    return nk::i64(frame.argument(1));
}

Result<nk::i64> sys_seek(const Frame& frame) {
    auto file = TRY(file_argument(frame.argument(0)));
    nk::u64 offset = TRY(file->seek(nk::i64(frame.argument(1)), int(frame.argument(2))));
    return nk::i64(offset);
}

Result<nk::i64> sys_stat(const Frame& frame) {
    auto path = TRY(path_argument(frame.argument(0)));
    abi::Stat stat = TRY(fs::vfs().stat(self().cwd, path.text));
    TRY(user::write(frame.argument(1), stat));
    return 0;
}

Result<nk::i64> sys_fstat(const Frame& frame) {
    auto file = TRY(file_argument(frame.argument(0)));
    abi::Stat stat = TRY(file->stat());
    TRY(user::write(frame.argument(1), stat));
    return 0;
}

Result<nk::i64> sys_readdir(const Frame& frame) {
    auto file = TRY(file_argument(frame.argument(0)));
    nk::u64 destination = frame.argument(1);
    nk::usize count = nk::min<nk::usize>(frame.argument(2), CHUNK / sizeof(abi::DirEntry));
    if (count == 0)
        return 0;
    BounceBuffer bounce(CHUNK);
    auto* entries = reinterpret_cast<abi::DirEntry*>(bounce.data());
    nk::usize got = TRY(file->read_directory(entries, count));
    TRY(user::copy_to(destination, entries, got * sizeof(abi::DirEntry)));
    return nk::i64(got);
}

Result<nk::i64> sys_mkdir(const Frame& frame) {
    auto path = TRY(path_argument(frame.argument(0)));
    TRY(fs::vfs().mkdir(self().cwd, path.text));
    return 0;
}

Result<nk::i64> sys_unlink(const Frame& frame) {
    auto path = TRY(path_argument(frame.argument(0)));
    TRY(fs::vfs().unlink(self().cwd, path.text));
    return 0;
}

Result<nk::i64> sys_rmdir(const Frame& frame) {
    auto path = TRY(path_argument(frame.argument(0)));
    TRY(fs::vfs().rmdir(self().cwd, path.text));
    return 0;
}

Result<nk::i64> sys_rename(const Frame& frame) {
    auto from = TRY(path_argument(frame.argument(0)));
    auto to = TRY(path_argument(frame.argument(1)));
    TRY(fs::vfs().rename(self().cwd, from.text, to.text));
    return 0;
}

Result<nk::i64> sys_truncate(const Frame& frame) {
    auto path = TRY(path_argument(frame.argument(0)));
    TRY(fs::vfs().truncate(self().cwd, path.text, frame.argument(1)));
    return 0;
}

Result<nk::i64> sys_mount(const Frame& frame) {
    auto type = TRY(path_argument(frame.argument(0)));
    auto device = TRY(path_argument(frame.argument(1)));
    auto path = TRY(path_argument(frame.argument(2)));
    TRY(nooks::mount_file_system(type.text, device.text, self().cwd, path.text));
    return 0;
}

Result<nk::i64> sys_unmount(const Frame& frame) {
    auto path = TRY(path_argument(frame.argument(0)));
    TRY(nooks::unmount_file_system(self().cwd, path.text));
    return 0;
}

// Volumes first (a file system may hold what it has not written yet), then the buffer cache and
// each disk's own write cache.
Result<nk::i64> sys_sync(const Frame& frame) {
    if (frame.argument(0) & ~abi::SYNC_DROP_CACHE)
        return Error::Invalid;
    nk::ErrorOr volumes = nooks::sync_volumes();
    nk::ErrorOr disks = block::sync_all();
    TRY(volumes);
    TRY(disks);
    if (frame.argument(0) & abi::SYNC_DROP_CACHE)
        (void)block::cache_drop_clean();
    return 0;
}

Result<nk::i64> sys_chdir(const Frame& frame) {
    auto path = TRY(path_argument(frame.argument(0)));
    fs::Path resolved = TRY(fs::vfs().resolve_directory(self().cwd, path.text));
    strncpy(self().cwd, resolved.c_str(), sizeof self().cwd - 1);
    self().cwd[sizeof self().cwd - 1] = 0;
    return 0;
}

Result<nk::i64> sys_getcwd(const Frame& frame) {
    nk::usize length = strlen(self().cwd);
    if (frame.argument(1) < length + 1)
        return Error::Range;
    TRY(user::copy_to(frame.argument(0), self().cwd, length + 1));
    return nk::i64(length);
}

} // namespace

void register_file_calls(Handler* table) {
    table[nk::u64(abi::Syscall::Read)] = sys_read;
    table[nk::u64(abi::Syscall::Write)] = sys_write;
    table[nk::u64(abi::Syscall::Open)] = sys_open;
    table[nk::u64(abi::Syscall::Close)] = sys_close;
    table[nk::u64(abi::Syscall::Dup2)] = sys_dup2;
    table[nk::u64(abi::Syscall::Seek)] = sys_seek;
    table[nk::u64(abi::Syscall::Stat)] = sys_stat;
    table[nk::u64(abi::Syscall::Fstat)] = sys_fstat;
    table[nk::u64(abi::Syscall::ReadDir)] = sys_readdir;
    table[nk::u64(abi::Syscall::Mkdir)] = sys_mkdir;
    table[nk::u64(abi::Syscall::Unlink)] = sys_unlink;
    table[nk::u64(abi::Syscall::Rmdir)] = sys_rmdir;
    table[nk::u64(abi::Syscall::Rename)] = sys_rename;
    table[nk::u64(abi::Syscall::Truncate)] = sys_truncate;
    table[nk::u64(abi::Syscall::Chdir)] = sys_chdir;
    table[nk::u64(abi::Syscall::Getcwd)] = sys_getcwd;
    table[nk::u64(abi::Syscall::Mount)] = sys_mount;
    table[nk::u64(abi::Syscall::Unmount)] = sys_unmount;
    table[nk::u64(abi::Syscall::Sync)] = sys_sync;
}

} // namespace kernel::syscalls
