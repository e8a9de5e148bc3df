// The kernel side of nooks/socket.h: TCP sockets an extension holds as tracked objects. The
// native exports and the isolated wrappers both land here; the wrappers have checked handles
// and buffers already.
#pragma once

#include <nk/types.h>
#include <nooks/socket.h>

namespace kernel::fs {
class File;
}

namespace nooks {

struct Extension;

// The most one send or receive moves (it passes through a kernel buffer).
constexpr nk::usize SOCKET_TRANSFER_MAX = 64 * 1024;

nk_status socket_listen(Extension* extension, nk::u16 port, int backlog, nk_socket_handle* out);
nk_status socket_accept(Extension* extension, nk_socket_handle listener, nk::u64 timeout_ms,
                        nk_socket_handle* out, nk::u32* peer_address, nk::u16* peer_port);
nk_status socket_connect(Extension* extension, nk::u32 address, nk::u16 port, nk::u64 timeout_ms,
                         nk_socket_handle* out);
long socket_send(nk_socket_handle socket, const void* data, nk::usize length);
long socket_receive(nk_socket_handle socket, void* buffer, nk::usize length, nk::u64 timeout_ms);
void socket_close(nk_socket_handle socket);

// The open socket behind a handle (checked by the caller).
kernel::fs::File& socket_file(nk_socket_handle socket);

// After a recovery: closes the listening sockets the extension's old copy held that the new one
// did not take back (it failed, or no longer listens there).
void finish_socket_recovery(Extension& extension);

} // namespace nooks
