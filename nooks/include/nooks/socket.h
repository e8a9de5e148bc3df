/* TCP sockets on the kernel's network stack, for extensions (a web server): listen, accept,
 * send, receive, close. Each call is a crossing out of an isolated extension; data moves through
 * its own buffers. A socket is a tracked object: a crash or an unload closes it. A call waits at
 * most NK_SOCKET_WAIT_MAX_MS (a longer timeout is cut to it; call again), so a thread blocked in
 * one never holds up its extension's recovery for long. */
#pragma once

#include <nooks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nk_socket_object* nk_socket_handle;

#define NK_SOCKET_WAIT_MAX_MS 1000

/* A TCP listener on every address, `port`, with `backlog` connections waiting at most. */
nk_status nk_socket_listen(uint16_t port, int backlog, nk_socket_handle* out);
/* A TCP connection to `address` (IPv4, host byte order) port `port`, waiting up to `timeout_ms`:
 * 0 and *out, -NK_ETIMEDOUT, -NK_ECONNREFUSED, or another -errno. */
nk_status nk_socket_connect(uint32_t address, uint16_t port, uint64_t timeout_ms,
                            nk_socket_handle* out);
/* The next connection, waiting up to `timeout_ms`: 0 and *out, or -NK_ETIMEDOUT. The peer's
 * IPv4 address (host byte order) and port go to `peer_address` and `peer_port` (may be null). */
nk_status nk_socket_accept(nk_socket_handle listener, uint64_t timeout_ms, nk_socket_handle* out,
                           uint32_t* peer_address, uint16_t* peer_port);
/* Bytes sent (all of `length`, or fewer when the peer stopped taking them within the wait), or
 * -errno (-NK_EPIPE / -NK_ECONNRESET when the connection is gone). At most 64 KiB a call. */
long nk_socket_send(nk_socket_handle socket, const void* data, size_t length);
/* Bytes received (0: the peer closed), or -NK_ETIMEDOUT after `timeout_ms`, or -errno. At most
 * 64 KiB a call. */
long nk_socket_receive(nk_socket_handle socket, void* buffer, size_t length, uint64_t timeout_ms);
void nk_socket_close(nk_socket_handle socket);

#ifdef __cplusplus
}
#endif
