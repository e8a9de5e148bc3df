// Kernel TCP sockets for extensions (nooks/socket.h): each is a tracked record holding an open
// socket File of kernel/net/socket, so a crash or an unload closes it with the rest of what the
// extension held. Waits are cut to NK_SOCKET_WAIT_MAX_MS: an extension thread blocked in one
// must not hold up its recovery (which waits for the threads to leave the domain).
//
// A listening socket outlives its extension's crash: the recovery keeps it open (connections
// that arrive meanwhile wait in its backlog) and the restarted copy's nk_socket_listen on the
// same port gets it back, so a client never finds the port closed. One the new copy does not
// take back is closed when the recovery ends (finish_socket_recovery).
#include <kernel/fs/file.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/net/socket.h>
#include <kernel/sync/spinlock.h>
#include <nooks/extension_manager.h>
#include <nooks/socket_class.h>
#include <nooks/xpc.h>

#include <stdio.h>

namespace nooks {

namespace {

struct SocketRecord {
    TrackedObject tracked; // first: the handle is &tracked
    Extension* owner;
    kernel::fs::File* file;
    nk::u16 listening_port; // 0 unless a listener
};

// Listeners kept through a recovery, by extension and port.
struct KeptListener {
    Extension* owner;
    nk::u16 port;
    kernel::fs::File* file;
};
constexpr unsigned KEPT_LISTENERS = 8;
KeptListener g_kept[KEPT_LISTENERS];
kernel::Spinlock g_kept_lock;

bool keep_listener(SocketRecord& record) {
    if (!record.owner || !record.listening_port ||
        record.owner->state != ExtensionState::Recovering)
        return false;
    kernel::SpinlockGuard guard(g_kept_lock);
    for (auto& kept : g_kept) {
        if (!kept.file) {
            kept = {record.owner, record.listening_port, record.file};
            return true;
        }
    }
    return false;
}

kernel::fs::File* take_kept_listener(Extension* owner, nk::u16 port) {
    if (!owner)
        return nullptr;
    kernel::SpinlockGuard guard(g_kept_lock);
    for (auto& kept : g_kept) {
        if (kept.file && kept.owner == owner && kept.port == port) {
            kernel::fs::File* file = kept.file;
            kept = {};
            return file;
        }
    }
    return nullptr;
}

void release_socket(TrackedObject& tracked) {
    auto* record = reinterpret_cast<SocketRecord*>(&tracked);
    if (!keep_listener(*record))
        record->file->unref(); // the last reference closes the socket
    kfree(record);
}

kernel::fs::File& file_of(nk_socket_handle handle) {
    return *reinterpret_cast<SocketRecord*>(handle)->file;
}

nk_status track(Extension* extension, kernel::fs::File* file, nk_socket_handle* out,
                nk::u16 listening_port = 0) {
    auto* record = static_cast<SocketRecord*>(kmalloc(sizeof(SocketRecord)));
    if (!record) {
        file->unref();
        return -NK_ENOMEM;
    }
    *record = {{{}, ObjectKind::Socket, release_socket}, extension, file, listening_port};
    if (extension)
        extension->tracker.add(record->tracked);
    *out = reinterpret_cast<nk_socket_handle>(&record->tracked);
    return 0;
}

nk::u64 bounded(nk::u64 timeout_ms) {
    return nk::min<nk::u64>(nk::max<nk::u64>(timeout_ms, 1), NK_SOCKET_WAIT_MAX_MS);
}

} // namespace

nk_status socket_listen(Extension* extension, nk::u16 port, int backlog, nk_socket_handle* out) {
    if (port == 0 || backlog < 1 || backlog > 64)
        return -NK_EINVAL;
    if (kernel::fs::File* kept = take_kept_listener(extension, port)) {
        kprintf("nooks: '%s' took back its listening socket on port %u\n", extension->name,
                unsigned(port));
        return track(extension, kept, out, port);
    }
    auto opened = kernel::net::open_socket(nk::abi::SocketType::Stream);
    if (opened.is_error())
        return -long(opened.error());
    kernel::fs::File* file = opened.value();
    nk::ErrorOr ready = kernel::net::set_option(*file, nk::abi::SocketOption::ReuseAddress, 1);
    if (ready.has_value())
        ready = kernel::net::bind(*file, {0, port, 0});
    if (ready.has_value())
        ready = kernel::net::listen(*file, backlog);
    if (ready.is_error()) {
        file->unref();
        return -long(ready.error());
    }
    return track(extension, file, out, port);
}

nk_status socket_accept(Extension* extension, nk_socket_handle listener, nk::u64 timeout_ms,
                        nk_socket_handle* out, nk::u32* peer_address, nk::u16* peer_port) {
    kernel::fs::File& file = file_of(listener);
    if (auto set = kernel::net::set_option(file, nk::abi::SocketOption::ReceiveTimeoutMs,
                                           bounded(timeout_ms));
        set.is_error())
        return -long(set.error());
    nk::abi::SocketAddress peer = {};
    auto accepted = kernel::net::accept(file, &peer);
    restart_watchdog(); // blocking is not hanging
    if (accepted.is_error())
        return -long(accepted.error());
    if (peer_address)
        *peer_address = peer.address;
    if (peer_port)
        *peer_port = peer.port;
    // Extensions write whole messages (a response, a header and its body in one send): send
    // each at once rather than wait for the previous one's acknowledgement (Nagle).
    (void)kernel::net::set_option(*accepted.value(), nk::abi::SocketOption::NoDelay, 1);
    return track(extension, accepted.value(), out);
}

nk_status socket_connect(Extension* extension, nk::u32 address, nk::u16 port, nk::u64 timeout_ms,
                         nk_socket_handle* out) {
    if (port == 0 || address == 0)
        return -NK_EINVAL;
    auto opened = kernel::net::open_socket(nk::abi::SocketType::Stream);
    if (opened.is_error())
        return -long(opened.error());
    kernel::fs::File* file = opened.value();
    auto connected = kernel::net::connect_within(*file, {address, port, 0}, bounded(timeout_ms));
    restart_watchdog();
    if (connected.is_error()) {
        file->unref();
        return -long(connected.error());
    }
    (void)kernel::net::set_option(*file, nk::abi::SocketOption::NoDelay, 1);
    return track(extension, file, out);
}

long socket_send(nk_socket_handle socket, const void* data, nk::usize length) {
    kernel::fs::File& file = file_of(socket);
    length = nk::min<nk::usize>(length, SOCKET_TRANSFER_MAX);
    if (auto set = kernel::net::set_option(file, nk::abi::SocketOption::SendTimeoutMs,
                                           NK_SOCKET_WAIT_MAX_MS);
        set.is_error())
        return -long(set.error());
    auto sent = kernel::net::send_to(file, static_cast<const nk::u8*>(data), length, nullptr);
    restart_watchdog();
    return sent.is_error() ? -long(sent.error()) : long(sent.value());
}

long socket_receive(nk_socket_handle socket, void* buffer, nk::usize length, nk::u64 timeout_ms) {
    kernel::fs::File& file = file_of(socket);
    length = nk::min<nk::usize>(length, SOCKET_TRANSFER_MAX);
    if (auto set = kernel::net::set_option(file, nk::abi::SocketOption::ReceiveTimeoutMs,
                                           bounded(timeout_ms));
        set.is_error())
        return -long(set.error());
    auto got = kernel::net::receive_from(file, static_cast<nk::u8*>(buffer), length, nullptr);
    restart_watchdog();
    return got.is_error() ? -long(got.error()) : long(got.value());
}

void finish_socket_recovery(Extension& extension) {
    for (;;) {
        kernel::fs::File* orphan = nullptr;
        {
            kernel::SpinlockGuard guard(g_kept_lock);
            for (auto& kept : g_kept) {
                if (kept.file && kept.owner == &extension) {
                    orphan = kept.file;
                    kept = {};
                    break;
                }
            }
        }
        if (!orphan)
            return;
        kprintf("nooks: '%s' did not listen again; its kept listening socket is closed\n",
                extension.name);
        orphan->unref();
    }
}

kernel::fs::File& socket_file(nk_socket_handle socket) {
    return file_of(socket);
}

void socket_close(nk_socket_handle socket) {
    auto* record = reinterpret_cast<SocketRecord*>(socket);
    if (record->owner)
        record->owner->tracker.remove(record->tracked);
    release_socket(record->tracked);
}

} // namespace nooks
