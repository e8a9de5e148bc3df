// echo: a TCP echo service (RFC 862) as an extension — the smallest user of the kernel socket
// API (nooks/socket.h) that the web server builds on. One thread listens on `port` (default 7),
// takes one connection at a time and sends back what it receives. Every wait is bounded, so the
// thread notices an unload; a crash closes its sockets (they are tracked) and the restarted copy
// listens again. With connect=A.B.C.D:PORT it connects out instead (nk_socket_connect), again
// and again, and echoes what that peer sends.
#include <nooks/extension.h>
#include <nooks/kernel_api.h>
#include <nooks/service.h>
#include <nooks/socket.h>
#include <nooks/support.h>

namespace {

constexpr uint16_t DEFAULT_PORT = 7;
constexpr uint64_t WAIT_MS = 500;

nk_thread_handle g_thread = nullptr;
nk_socket_handle g_listener = nullptr;
uint16_t g_port = DEFAULT_PORT;
uint32_t g_peer = 0; // connect mode: the peer's address (host byte order), 0 when listening
// Written by the service thread only; read (racily, for a status line) by status().
volatile unsigned long g_connections = 0;
volatile unsigned long g_bytes = 0;
char g_buffer[16 * 1024];

// One connection, until the peer closes it, an error, or an unload.
void serve(nk_socket_handle connection) {
    while (!nk_thread_should_stop()) {
        long got = nk_socket_receive(connection, g_buffer, sizeof g_buffer, WAIT_MS);
        if (got == -NK_ETIMEDOUT)
            continue;
        if (got <= 0)
            return;
        for (long sent = 0; sent < got;) {
            long wrote = nk_socket_send(connection, g_buffer + sent, size_t(got - sent));
            if (wrote <= 0)
                return;
            sent += wrote;
        }
        g_bytes = g_bytes + (unsigned long)got;
    }
}

void listen_loop(void*) {
    while (!nk_thread_should_stop()) {
        nk_socket_handle connection = nullptr;
        uint32_t address = 0;
        uint16_t port = 0;
        nk_status accepted = nk_socket_accept(g_listener, WAIT_MS, &connection, &address, &port);
        if (accepted == -NK_ETIMEDOUT)
            continue;
        if (accepted < 0) {
            nk_log("echo: accept failed (%ld)\n", accepted);
            nk_sleep_ms(WAIT_MS);
            continue;
        }
        g_connections = g_connections + 1;
        serve(connection);
        nk_socket_close(connection);
    }
}

// Connect mode: a connection to the peer, echoed until it closes; then the next one.
void connect_loop(void*) {
    while (!nk_thread_should_stop()) {
        nk_socket_handle connection = nullptr;
        nk_status connected = nk_socket_connect(g_peer, g_port, WAIT_MS, &connection);
        if (connected < 0) {
            nk_sleep_ms(WAIT_MS);
            continue;
        }
        g_connections = g_connections + 1;
        serve(connection);
        nk_socket_close(connection);
    }
}

// "A.B.C.D:PORT" into the peer's address and port.
bool parse_peer(const char* text) {
    uint32_t address = 0;
    for (int part = 0; part < 4; ++part) {
        uint64_t value = 0;
        text = nk_parse_decimal(text, 255, &value);
        if (!text || *text != (part == 3 ? ':' : '.'))
            return false;
        address = address << 8 | uint32_t(value);
        ++text;
    }
    uint64_t port = 0;
    text = nk_parse_decimal(text, 65535, &port);
    if (!text || *text || port == 0 || address == 0)
        return false;
    g_peer = address;
    g_port = uint16_t(port);
    return true;
}

nk_status status(char* buffer, size_t size) {
    if (size == 0)
        return -NK_EINVAL;
    if (g_peer)
        nk_snprintf(buffer, size, "to %u.%u.%u.%u:%u: %lu connections, %lu bytes echoed",
                    unsigned(g_peer >> 24), unsigned(g_peer >> 16 & 0xff),
                    unsigned(g_peer >> 8 & 0xff), unsigned(g_peer & 0xff), unsigned(g_port),
                    (unsigned long)g_connections, (unsigned long)g_bytes);
    else
        nk_snprintf(buffer, size, "port %u: %lu connections, %lu bytes echoed", unsigned(g_port),
                    (unsigned long)g_connections, (unsigned long)g_bytes);
    return 0;
}

const nooks_service_ops g_ops = {status};

nk_status echo_init() {
    char value[24];
    if (nk_param("connect", value, sizeof value) >= 0) {
        if (!parse_peer(value)) {
            nk_log("echo: connect=%s: expected A.B.C.D:PORT\n", value);
            return -NK_EINVAL;
        }
        nk_log("echo: connecting to %s\n", value);
        return nk_thread_create("echo", connect_loop, nullptr, &g_thread);
    }
    if (nk_param("port", value, sizeof value) >= 0) {
        uint64_t port = 0;
        const char* end = nk_parse_decimal(value, 65535, &port);
        if (!end || *end || port == 0) {
            nk_log("echo: port=%s: expected 1..65535\n", value);
            return -NK_EINVAL;
        }
        g_port = uint16_t(port);
    }
    nk_status listening = nk_socket_listen(g_port, 4, &g_listener);
    if (listening < 0) {
        nk_log("echo: cannot listen on port %u (%ld)\n", unsigned(g_port), listening);
        return listening;
    }
    nk_log("echo: listening on TCP port %u\n", unsigned(g_port));
    return nk_thread_create("echo", listen_loop, nullptr, &g_thread);
}

void echo_exit() {
    nk_thread_stop(g_thread);
    if (g_listener)
        nk_socket_close(g_listener);
    nk_log("echo: stopped after %lu connections\n", (unsigned long)g_connections);
}

} // namespace

NOOKS_MODULE("echo", NOOKS_CLASS_SERVICE, echo_init, echo_exit, &g_ops);
