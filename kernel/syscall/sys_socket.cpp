// Socket system calls (nk/syscall_abi.h: Socket .. SocketName). The sockets themselves are
// kernel/net/socket: Files whose reads and writes are receives and sends.
#include <kernel/fs/file.h>
#include <kernel/fs/file_table.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/net/socket.h>
#include <kernel/process/processes.h>
#include <kernel/syscall/syscall_table.h>
#include <kernel/syscall/user_memory.h>

namespace kernel::syscalls {

namespace {

// A datagram or a piece of a stream passes through the kernel in one heap buffer of at most
// this much.
constexpr nk::usize MAX_TRANSFER = 64 * 1024;

Process& self() {
    return *processes::current();
}

Result<fs::RefPtr<fs::File>> socket_argument(nk::u64 fd) {
    if (fd >= nk::u64(abi::MAX_FDS))
        return Error::BadHandle;
    auto file = TRY(self().files->get(int(fd)));
    if (file->type() != abi::FileType::Socket)
        return Error::NotSocket;
    return file;
}

Result<abi::SocketAddress> address_argument(nk::u64 pointer) {
    abi::SocketAddress address;
    TRY(user::read(address, pointer));
    return address;
}

Result<nk::i64> sys_socket(const Frame& frame) {
    fs::File* file = TRY(net::open_socket(abi::SocketType(frame.argument(0))));
    return TRY(self().files->install(file));
}

Result<nk::i64> sys_connect(const Frame& frame) {
    auto file = TRY(socket_argument(frame.argument(0)));
    TRY(net::connect(*file, TRY(address_argument(frame.argument(1)))));
    return 0;
}

Result<nk::i64> sys_bind(const Frame& frame) {
    auto file = TRY(socket_argument(frame.argument(0)));
    TRY(net::bind(*file, TRY(address_argument(frame.argument(1)))));
    return 0;
}

Result<nk::i64> sys_listen(const Frame& frame) {
    auto file = TRY(socket_argument(frame.argument(0)));
    TRY(net::listen(*file, int(frame.argument(1))));
    return 0;
}

Result<nk::i64> sys_accept(const Frame& frame) {
    auto file = TRY(socket_argument(frame.argument(0)));
    nk::u64 peer_pointer = frame.argument(1);
    if (peer_pointer)
        TRY(user::check(peer_pointer, sizeof(abi::SocketAddress), true));
    abi::SocketAddress peer = {};
    fs::File* connection = TRY(net::accept(*file, &peer));
    int fd = TRY(self().files->install(connection));
    if (peer_pointer)
        TRY(user::write(peer_pointer, peer));
    return fd;
}

class HeapBuffer {
public:
    explicit HeapBuffer(nk::usize size) : m_data(static_cast<nk::u8*>(kmalloc(size))) {}
    ~HeapBuffer() { kfree(m_data); }
    HeapBuffer(const HeapBuffer&) = delete;
    HeapBuffer& operator=(const HeapBuffer&) = delete;
    nk::u8* data() const { return m_data; }

private:
    nk::u8* m_data;
};

Result<nk::i64> sys_send_to(const Frame& frame) {
    auto file = TRY(socket_argument(frame.argument(0)));
    nk::usize length = nk::min<nk::usize>(frame.argument(2), MAX_TRANSFER);
    abi::SocketAddress to;
    bool addressed = frame.argument(3) != 0;
    if (addressed)
        to = TRY(address_argument(frame.argument(3)));
    HeapBuffer buffer(length ? length : 1);
    if (!buffer.data())
        return Error::NoMemory;
    TRY(user::copy_from(buffer.data(), frame.argument(1), length));
    return nk::i64(TRY(net::send_to(*file, buffer.data(), length, addressed ? &to : nullptr)));
}

Result<nk::i64> sys_receive_from(const Frame& frame) {
    auto file = TRY(socket_argument(frame.argument(0)));
    nk::u64 destination = frame.argument(1);
    nk::usize length = nk::min<nk::usize>(frame.argument(2), MAX_TRANSFER);
    nk::u64 from_pointer = frame.argument(3);
    // Checked before receiving: what the network gave must not be lost to a bad pointer.
    TRY(user::check(destination, length, true));
    if (from_pointer)
        TRY(user::check(from_pointer, sizeof(abi::SocketAddress), true));
    HeapBuffer buffer(length ? length : 1);
    if (!buffer.data())
        return Error::NoMemory;
    abi::SocketAddress from = {};
    nk::usize got = TRY(net::receive_from(*file, buffer.data(), length, &from));
    TRY(user::copy_to(destination, buffer.data(), got));
    if (from_pointer)
        TRY(user::write(from_pointer, from));
    return nk::i64(got);
}

Result<nk::i64> sys_set_socket_option(const Frame& frame) {
    auto file = TRY(socket_argument(frame.argument(0)));
    TRY(net::set_option(*file, abi::SocketOption(frame.argument(1)), frame.argument(2)));
    return 0;
}

Result<nk::i64> sys_shutdown(const Frame& frame) {
    auto file = TRY(socket_argument(frame.argument(0)));
    TRY(net::shutdown(*file, abi::ShutdownHow(frame.argument(1))));
    return 0;
}

Result<nk::i64> sys_socket_name(const Frame& frame) {
    auto file = TRY(socket_argument(frame.argument(0)));
    abi::SocketAddress local = {}, peer = {};
    nk::u64 peer_pointer = frame.argument(2);
    TRY(net::names(*file, &local, peer_pointer ? &peer : nullptr));
    TRY(user::write(frame.argument(1), local));
    if (peer_pointer)
        TRY(user::write(peer_pointer, peer));
    return 0;
}

Result<nk::i64> sys_poll(const Frame& frame) {
    nk::u64 pointer = frame.argument(0);
    nk::usize count = frame.argument(1);
    if (count > abi::MAX_POLL)
        return Error::Invalid;
    abi::PollEntry entries[abi::MAX_POLL];
    TRY(user::copy_from(entries, pointer, count * sizeof(abi::PollEntry)));
    fs::RefPtr<fs::File> held[abi::MAX_POLL];
    fs::File* files[abi::MAX_POLL] = {};
    for (nk::usize i = 0; i < count; ++i) {
        if (entries[i].fd < 0)
            continue; // ignored, as poll(2) does
        held[i] = TRY(socket_argument(nk::u64(entries[i].fd)));
        files[i] = held[i].get();
    }
    nk::usize ready = TRY(net::poll(files, entries, count, nk::i64(frame.argument(2))));
    TRY(user::copy_to(pointer, entries, count * sizeof(abi::PollEntry)));
    return nk::i64(ready);
}

} // namespace

void register_socket_calls(Handler* table) {
    table[nk::u64(abi::Syscall::Socket)] = sys_socket;
    table[nk::u64(abi::Syscall::Connect)] = sys_connect;
    table[nk::u64(abi::Syscall::Bind)] = sys_bind;
    table[nk::u64(abi::Syscall::Listen)] = sys_listen;
    table[nk::u64(abi::Syscall::Accept)] = sys_accept;
    table[nk::u64(abi::Syscall::SendTo)] = sys_send_to;
    table[nk::u64(abi::Syscall::ReceiveFrom)] = sys_receive_from;
    table[nk::u64(abi::Syscall::SetSocketOption)] = sys_set_socket_option;
    table[nk::u64(abi::Syscall::Shutdown)] = sys_shutdown;
    table[nk::u64(abi::Syscall::Poll)] = sys_poll;
    table[nk::u64(abi::Syscall::SocketName)] = sys_socket_name;
}

} // namespace kernel::syscalls
