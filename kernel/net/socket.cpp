#include <kernel/debug/panic.h>
#include <kernel/fs/file_system.h>
#include <kernel/fs/fs.h>
#include <kernel/fs/inode.h>
#include <kernel/fs/vfs.h>
#include <kernel/net/socket.h>
#include <kernel/net/stack.h>

#include <string.h>

extern "C" {
#include "lwip/sockets.h"
}
// lwIP's fcntl flags, which this file does not use, would shadow the kernel's abi::O_* names.
#undef O_RDONLY
#undef O_WRONLY
#undef O_RDWR

namespace kernel::net {

namespace {

using nk::Error;
namespace abi = nk::abi;

// lwIP's socket layer reports errno values, which are POSIX's as nk::Error's are. Sockets here
// always block, so "would block" can only mean that the socket's timeout ran out.
Error last_error() {
    int value = errno;
    if (value == EWOULDBLOCK || value == EAGAIN)
        return Error::TimedOut;
    return value > 0 ? Error(value) : Error::IO;
}

nk::usize g_open_sockets = 0;

// The file system the socket inodes belong to: never mounted, no names.
class SocketFileSystem final : public fs::FileSystem {
public:
    // Never mounted, so never asked.
    fs::Inode& root() override { kernel::panic("the socket file system has no root"); }
    const char* name() const override { return "sockets"; }
};

SocketFileSystem g_socket_fs;
nk::u64 g_next_number = 1;

class SocketInode final : public fs::Inode {
public:
    explicit SocketInode(int socket)
        : Inode(g_socket_fs, abi::FileType::Socket, __atomic_fetch_add(&g_next_number, 1, 0)),
          m_socket(socket) {
        __atomic_add_fetch(&g_open_sockets, 1, __ATOMIC_RELAXED);
    }
    ~SocketInode() override {
        lwip_close(m_socket);
        __atomic_sub_fetch(&g_open_sockets, 1, __ATOMIC_RELAXED);
    }

    int socket() const { return m_socket; }

    nk::Result<nk::usize> read(nk::u64, nk::u8* buffer, nk::usize length) override {
        ssize_t got = lwip_recv(m_socket, buffer, length, 0);
        if (got < 0)
            return last_error();
        return nk::usize(got);
    }
    nk::Result<nk::usize> write(nk::u64, const nk::u8* buffer, nk::usize length) override {
        ssize_t sent = lwip_send(m_socket, buffer, length, 0);
        if (sent < 0)
            return last_error();
        return nk::usize(sent);
    }
    nk::Result<abi::Stat> stat() const override {
        return abi::Stat{0, number(), abi::FileType::Socket, 1, 0};
    }

private:
    int m_socket;
};

nk::Result<int> socket_of(fs::File& file) {
    if (file.type() != abi::FileType::Socket)
        return Error::NotSocket;
    return static_cast<SocketInode&>(file.inode()).socket();
}

sockaddr_in to_lwip(const abi::SocketAddress& address) {
    sockaddr_in out = {};
    out.sin_len = sizeof out;
    out.sin_family = AF_INET;
    out.sin_port = lwip_htons(address.port);
    out.sin_addr.s_addr = lwip_htonl(address.address);
    return out;
}

abi::SocketAddress from_lwip(const sockaddr_in& address) {
    return {lwip_ntohl(address.sin_addr.s_addr), lwip_ntohs(address.sin_port), 0};
}

nk::Result<fs::File*> wrap(int socket) {
    auto* inode = new SocketInode(socket);
    if (!inode) {
        lwip_close(socket);
        return Error::NoMemory;
    }
    auto file = fs::vfs().open_unnamed(*inode, abi::O_RDWR);
    inode->unref(); // the File holds it now (or, on failure, it goes and closes the socket)
    return file;
}

nk::ErrorOr status(int result) {
    if (result < 0)
        return last_error();
    return {};
}

} // namespace

nk::Result<fs::File*> open_socket(abi::SocketType type) {
    if (!stack_running())
        return Error::NotSupported;
    int kind;
    switch (type) {
    case abi::SocketType::Stream:
        kind = SOCK_STREAM;
        break;
    case abi::SocketType::Datagram:
        kind = SOCK_DGRAM;
        break;
    default:
        return Error::Invalid;
    }
    int socket = lwip_socket(AF_INET, kind, 0);
    if (socket < 0)
        return last_error();
    return wrap(socket);
}

nk::ErrorOr connect(fs::File& file, const abi::SocketAddress& address) {
    int socket = TRY(socket_of(file));
    sockaddr_in to = to_lwip(address);
    return status(lwip_connect(socket, reinterpret_cast<sockaddr*>(&to), sizeof to));
}

nk::ErrorOr connect_within(fs::File& file, const abi::SocketAddress& address, nk::u64 timeout_ms) {
    int socket = TRY(socket_of(file));
    sockaddr_in to = to_lwip(address);
    // Started without blocking, then waited for as a socket turning writable (POSIX connect).
    int flags = lwip_fcntl(socket, F_GETFL, 0);
    if (flags < 0 || lwip_fcntl(socket, F_SETFL, flags | O_NONBLOCK) < 0)
        return last_error();
    int error = 0;
    if (lwip_connect(socket, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        error = errno;
        if (error == EINPROGRESS) {
            pollfd entry = {socket, POLLOUT, 0};
            int ready = lwip_poll(&entry, 1, int(nk::min<nk::u64>(timeout_ms, 3600000)));
            if (ready == 0) {
                error = ETIMEDOUT;
            } else if (ready < 0) {
                error = errno;
            } else {
                socklen_t length = sizeof error;
                if (lwip_getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &length) != 0)
                    error = errno;
            }
        }
    }
    (void)lwip_fcntl(socket, F_SETFL, flags);
    if (error)
        return error > 0 ? Error(error) : Error::IO;
    return {};
}

nk::ErrorOr bind(fs::File& file, const abi::SocketAddress& address) {
    int socket = TRY(socket_of(file));
    sockaddr_in at = to_lwip(address);
    return status(lwip_bind(socket, reinterpret_cast<sockaddr*>(&at), sizeof at));
}

nk::ErrorOr listen(fs::File& file, int backlog) {
    int socket = TRY(socket_of(file));
    if (backlog < 0 || backlog > 255)
        return Error::Invalid;
    return status(lwip_listen(socket, backlog));
}

nk::Result<fs::File*> accept(fs::File& file, abi::SocketAddress* peer) {
    int socket = TRY(socket_of(file));
    sockaddr_in from = {};
    socklen_t length = sizeof from;
    int connection = lwip_accept(socket, reinterpret_cast<sockaddr*>(&from), &length);
    if (connection < 0)
        return last_error();
    if (peer)
        *peer = from_lwip(from);
    return wrap(connection);
}

nk::Result<nk::usize> send_to(fs::File& file, const nk::u8* data, nk::usize length,
                              const abi::SocketAddress* to) {
    int socket = TRY(socket_of(file));
    ssize_t sent;
    if (to) {
        sockaddr_in address = to_lwip(*to);
        sent = lwip_sendto(socket, data, length, 0, reinterpret_cast<sockaddr*>(&address),
                           sizeof address);
    } else {
        sent = lwip_send(socket, data, length, 0);
    }
    if (sent < 0)
        return last_error();
    return nk::usize(sent);
}

nk::Result<nk::usize> receive_from(fs::File& file, nk::u8* buffer, nk::usize length,
                                   abi::SocketAddress* from) {
    int socket = TRY(socket_of(file));
    sockaddr_in address = {};
    socklen_t address_length = sizeof address;
    ssize_t got = lwip_recvfrom(socket, buffer, length, 0, reinterpret_cast<sockaddr*>(&address),
                                &address_length);
    if (got < 0)
        return last_error();
    if (from)
        *from = from_lwip(address);
    return nk::usize(got);
}

nk::ErrorOr set_option(fs::File& file, abi::SocketOption option, nk::u64 value) {
    int socket = TRY(socket_of(file));
    switch (option) {
    case abi::SocketOption::ReceiveTimeoutMs:
    case abi::SocketOption::SendTimeoutMs: {
        if (value > 24ull * 3600 * 1000)
            return Error::Invalid;
        timeval limit = {long(value / 1000), long((value % 1000) * 1000)};
        int name = option == abi::SocketOption::ReceiveTimeoutMs ? SO_RCVTIMEO : SO_SNDTIMEO;
        return status(lwip_setsockopt(socket, SOL_SOCKET, name, &limit, sizeof limit));
    }
    case abi::SocketOption::ReuseAddress:
    case abi::SocketOption::KeepAlive: {
        if (value > 1)
            return Error::Invalid;
        int on = int(value);
        int name = option == abi::SocketOption::ReuseAddress ? SO_REUSEADDR : SO_KEEPALIVE;
        return status(lwip_setsockopt(socket, SOL_SOCKET, name, &on, sizeof on));
    }
    case abi::SocketOption::NoDelay: {
        if (value > 1)
            return Error::Invalid;
        int on = int(value);
        return status(lwip_setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on));
    }
    }
    return Error::Invalid;
}

nk::ErrorOr shutdown(fs::File& file, abi::ShutdownHow how) {
    int socket = TRY(socket_of(file));
    int which;
    switch (how) {
    case abi::ShutdownHow::Read:
        which = SHUT_RD;
        break;
    case abi::ShutdownHow::Write:
        which = SHUT_WR;
        break;
    case abi::ShutdownHow::Both:
        which = SHUT_RDWR;
        break;
    default:
        return Error::Invalid;
    }
    return status(lwip_shutdown(socket, which));
}

nk::ErrorOr names(fs::File& file, abi::SocketAddress* local, abi::SocketAddress* peer) {
    int socket = TRY(socket_of(file));
    sockaddr_in address = {};
    socklen_t length = sizeof address;
    if (local) {
        TRY(status(lwip_getsockname(socket, reinterpret_cast<sockaddr*>(&address), &length)));
        *local = from_lwip(address);
    }
    if (peer) {
        length = sizeof address;
        TRY(status(lwip_getpeername(socket, reinterpret_cast<sockaddr*>(&address), &length)));
        *peer = from_lwip(address);
    }
    return {};
}

nk::Result<nk::usize> poll(fs::File* const* files, abi::PollEntry* entries, nk::usize count,
                           nk::i64 timeout_ms) {
    if (count > abi::MAX_POLL)
        return Error::Invalid;
    pollfd lwip_entries[abi::MAX_POLL];
    for (nk::usize i = 0; i < count; ++i) {
        lwip_entries[i] = {-1, 0, 0};
        entries[i].revents = 0;
        if (!files[i])
            continue;
        auto socket = socket_of(*files[i]);
        if (socket.is_error())
            return socket.error();
        short events = 0;
        if (entries[i].events & abi::POLL_IN)
            events |= POLLIN;
        if (entries[i].events & abi::POLL_OUT)
            events |= POLLOUT;
        lwip_entries[i] = {socket.value(), events, 0};
    }
    int limit = timeout_ms < 0 ? -1 : int(nk::min<nk::i64>(timeout_ms, 24ll * 3600 * 1000));
    int ready = lwip_poll(lwip_entries, nfds_t(count), limit);
    if (ready < 0)
        return last_error();
    for (nk::usize i = 0; i < count; ++i) {
        short got = lwip_entries[i].revents;
        entries[i].revents =
            nk::u16(((got & POLLIN) ? abi::POLL_IN : 0) | ((got & POLLOUT) ? abi::POLL_OUT : 0) |
                    ((got & POLLERR) ? abi::POLL_ERR : 0) | ((got & POLLHUP) ? abi::POLL_HUP : 0));
    }
    return nk::usize(ready);
}

nk::usize open_socket_count() {
    return g_open_sockets;
}

} // namespace kernel::net
