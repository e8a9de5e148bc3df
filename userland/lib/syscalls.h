// Typed wrappers for every system call in nk/syscall_abi.h. Fallible calls return nk::Result (the
// kernel's -errno turned into nk::Error); calls that cannot fail return their value directly.
#pragma once

#include <nk/result.h>
#include <nk/syscall_abi.h>
#include <userland/lib/raw_syscall.h>

namespace sys {

namespace abi = nk::abi;
using nk::ErrorOr;
using nk::Result;
using nk::u32;
using nk::u64;
using nk::usize;

namespace detail {

template <typename T>
Result<T> to_result(long raw) {
    if (is_error_result(raw))
        return static_cast<nk::Error>(-raw);
    // C-style: the value may be an integer or an address.
    return (T)(raw);
}

inline ErrorOr to_error_or(long raw) {
    if (is_error_result(raw))
        return static_cast<nk::Error>(-raw);
    return {};
}

template <typename T>
u64 arg(T value) {
    return (u64)(value);
}

} // namespace detail

using abi::Syscall;
using detail::arg;

[[noreturn]] inline void exit(int status) {
    raw_syscall(Syscall::Exit, arg(status));
    // Exit never returns; should a broken kernel return anyway, stop here rather than run on.
    for (;;)
        asm volatile("ud2");
}

inline Result<usize> read(int fd, void* buffer, usize length) {
    return detail::to_result<usize>(raw_syscall(Syscall::Read, arg(fd), arg(buffer), length));
}
inline Result<usize> write(int fd, const void* buffer, usize length) {
    return detail::to_result<usize>(raw_syscall(Syscall::Write, arg(fd), arg(buffer), length));
}
inline Result<int> open(const char* path, u32 flags) {
    return detail::to_result<int>(raw_syscall(Syscall::Open, arg(path), flags));
}
inline ErrorOr close(int fd) {
    return detail::to_error_or(raw_syscall(Syscall::Close, arg(fd)));
}
inline Result<u64> seek(int fd, nk::i64 offset, int whence) {
    return detail::to_result<u64>(raw_syscall(Syscall::Seek, arg(fd), arg(offset), arg(whence)));
}
inline ErrorOr stat(const char* path, abi::Stat& out) {
    return detail::to_error_or(raw_syscall(Syscall::Stat, arg(path), arg(&out)));
}
inline ErrorOr fstat(int fd, abi::Stat& out) {
    return detail::to_error_or(raw_syscall(Syscall::Fstat, arg(fd), arg(&out)));
}
// Entries written; 0 at the end of the directory.
inline Result<usize> read_dir(int fd, abi::DirEntry* out, usize count) {
    return detail::to_result<usize>(raw_syscall(Syscall::ReadDir, arg(fd), arg(out), count));
}
inline ErrorOr mkdir(const char* path) {
    return detail::to_error_or(raw_syscall(Syscall::Mkdir, arg(path)));
}
inline ErrorOr unlink(const char* path) {
    return detail::to_error_or(raw_syscall(Syscall::Unlink, arg(path)));
}
inline ErrorOr mount(const char* type, const char* device, const char* path) {
    return detail::to_error_or(raw_syscall(Syscall::Mount, arg(type), arg(device), arg(path)));
}
inline ErrorOr unmount(const char* path) {
    return detail::to_error_or(raw_syscall(Syscall::Unmount, arg(path)));
}
inline ErrorOr sync(u64 flags = 0) {
    return detail::to_error_or(raw_syscall(Syscall::Sync, flags));
}
inline ErrorOr rmdir(const char* path) {
    return detail::to_error_or(raw_syscall(Syscall::Rmdir, arg(path)));
}
inline ErrorOr rename(const char* from, const char* to) {
    return detail::to_error_or(raw_syscall(Syscall::Rename, arg(from), arg(to)));
}
inline ErrorOr truncate(const char* path, u64 length) {
    return detail::to_error_or(raw_syscall(Syscall::Truncate, arg(path), length));
}
// The child's pid.
inline Result<int> spawn(const abi::SpawnRequest& request) {
    return detail::to_result<int>(raw_syscall(Syscall::Spawn, arg(&request)));
}
// pid -1 waits for any child; returns the pid that ended and stores its exit status.
inline Result<int> wait(int pid, int& status) {
    return detail::to_result<int>(raw_syscall(Syscall::Wait, arg(pid), arg(&status)));
}
inline int get_pid() {
    return static_cast<int>(raw_syscall(Syscall::GetPid));
}
inline ErrorOr sleep(u64 milliseconds) {
    return detail::to_error_or(raw_syscall(Syscall::Sleep, milliseconds));
}
inline ErrorOr time(abi::TimeInfo& out) {
    return detail::to_error_or(raw_syscall(Syscall::Time, arg(&out)));
}
inline ErrorOr chdir(const char* path) {
    return detail::to_error_or(raw_syscall(Syscall::Chdir, arg(path)));
}
// Length of the path, without its NUL.
inline Result<usize> getcwd(char* buffer, usize length) {
    return detail::to_result<usize>(raw_syscall(Syscall::Getcwd, arg(buffer), length));
}
// Bytes of text written (the report may be cut to `length`).
inline Result<usize> info(abi::InfoKind kind, char* buffer, usize length) {
    return detail::to_result<usize>(raw_syscall(Syscall::Info, arg(kind), arg(buffer), length));
}
// 2^order zeroed pages, aligned to their size.
inline Result<void*> map_pages(unsigned order) {
    return detail::to_result<void*>(raw_syscall(Syscall::MapPages, order));
}
inline ErrorOr unmap_pages(void* address, unsigned order) {
    return detail::to_error_or(raw_syscall(Syscall::UnmapPages, arg(address), order));
}
// Returns only when the command failed.
inline nk::Error machine(abi::MachineCommand command) {
    long raw = raw_syscall(Syscall::Machine, arg(command));
    return is_error_result(raw) ? static_cast<nk::Error>(-raw) : nk::Error::IO;
}
// Number of self tests that failed; their output goes to the console.
inline Result<int> ktest(const char* prefix) {
    return detail::to_result<int>(raw_syscall(Syscall::KTest, arg(prefix)));
}
inline ErrorOr kill(int pid) {
    return detail::to_error_or(raw_syscall(Syscall::Kill, arg(pid)));
}
inline Result<int> dup2(int from, int to) {
    return detail::to_result<int>(raw_syscall(Syscall::Dup2, arg(from), arg(to)));
}
inline Result<long> net(abi::NetOperation operation, const void* in, usize in_length, void* out,
                        usize out_length) {
    return detail::to_result<long>(raw_syscall(Syscall::Net, u64(operation), arg(in), in_length,
                                               arg(out), out_length));
}
// Sockets: descriptors like files (read, write and close work on them).
inline Result<int> socket(abi::SocketType type) {
    return detail::to_result<int>(raw_syscall(Syscall::Socket, u64(type)));
}
inline ErrorOr connect(int fd, const abi::SocketAddress& address) {
    return detail::to_error_or(raw_syscall(Syscall::Connect, arg(fd), arg(&address)));
}
inline ErrorOr bind(int fd, const abi::SocketAddress& address) {
    return detail::to_error_or(raw_syscall(Syscall::Bind, arg(fd), arg(&address)));
}
inline ErrorOr listen(int fd, int backlog) {
    return detail::to_error_or(raw_syscall(Syscall::Listen, arg(fd), arg(backlog)));
}
inline Result<int> accept(int fd, abi::SocketAddress* peer = nullptr) {
    return detail::to_result<int>(raw_syscall(Syscall::Accept, arg(fd), arg(peer)));
}
inline Result<usize> send_to(int fd, const void* data, usize length,
                             const abi::SocketAddress* to = nullptr) {
    return detail::to_result<usize>(
        raw_syscall(Syscall::SendTo, arg(fd), arg(data), length, arg(to)));
}
inline Result<usize> receive_from(int fd, void* buffer, usize length,
                                  abi::SocketAddress* from = nullptr) {
    return detail::to_result<usize>(
        raw_syscall(Syscall::ReceiveFrom, arg(fd), arg(buffer), length, arg(from)));
}
inline ErrorOr set_socket_option(int fd, abi::SocketOption option, u64 value) {
    return detail::to_error_or(
        raw_syscall(Syscall::SetSocketOption, arg(fd), u64(option), value));
}
inline ErrorOr shutdown(int fd, abi::ShutdownHow how) {
    return detail::to_error_or(raw_syscall(Syscall::Shutdown, arg(fd), u64(how)));
}
inline Result<usize> poll(abi::PollEntry* entries, usize count, long timeout_ms) {
    return detail::to_result<usize>(
        raw_syscall(Syscall::Poll, arg(entries), count, u64(timeout_ms)));
}
inline ErrorOr socket_name(int fd, abi::SocketAddress* local, abi::SocketAddress* peer) {
    return detail::to_error_or(raw_syscall(Syscall::SocketName, arg(fd), arg(local), arg(peer)));
}

inline Result<long> ext_control(u32 operation, const void* in, usize in_length, void* out,
                                usize out_length) {
    return detail::to_result<long>(
        raw_syscall(Syscall::ExtControl, operation, arg(in), in_length, arg(out), out_length));
}

} // namespace sys
