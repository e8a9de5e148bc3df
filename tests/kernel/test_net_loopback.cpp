// In-kernel tests of the TCP/IP stack on its loopback interface: lwIP's socket layer on the
// kernel's threads (kernel/net/lwip/sys_arch.cpp) — a TCP echo of a buffer larger than every
// window and buffer on the way, byte for byte, and a UDP datagram; timeouts that end a wait.
#include <kernel/net/stack.h>
#include <kernel/sched/scheduler.h>
#include <kernel/sync/semaphore.h>
#include <kernel/test/ktest.h>
#include <kernel/time/clock.h>

#include <string.h>

extern "C" {
#include "lwip/sockets.h"
}

namespace {

constexpr nk::u16 ECHO_PORT = 7007;
constexpr nk::usize ECHO_BYTES = 256 * 1024;

sockaddr_in loopback(nk::u16 port) {
    sockaddr_in address = {};
    address.sin_len = sizeof address;
    address.sin_family = AF_INET;
    address.sin_port = lwip_htons(port);
    address.sin_addr.s_addr = lwip_htonl(0x7f000001);
    return address;
}

struct EchoServer {
    int listener = -1;
    nk::usize echoed = 0;
    kernel::Semaphore done;
};

// Accepts one connection and sends back whatever it receives until the peer closes.
void echo_once(void* argument) {
    auto& server = *static_cast<EchoServer*>(argument);
    int connection = lwip_accept(server.listener, nullptr, nullptr);
    if (connection >= 0) {
        static char buffer[4096];
        for (;;) {
            int got = lwip_recv(connection, buffer, sizeof buffer, 0);
            if (got <= 0)
                break;
            for (int sent = 0; sent < got;) {
                int wrote = lwip_send(connection, buffer + sent, nk::usize(got - sent), 0);
                if (wrote <= 0)
                    break;
                sent += wrote;
            }
            server.echoed += nk::usize(got);
        }
        lwip_close(connection);
    }
    server.done.up();
}

nk::u8 pattern_byte(nk::usize i) {
    return nk::u8((i * 7 + (i >> 9)) & 0xff);
}

} // namespace

KTEST(net_tcp_echo_over_loopback) {
    KREQUIRE(kernel::net::start_stack().has_value());
    static EchoServer server;
    server.echoed = 0;
    server.listener = lwip_socket(AF_INET, SOCK_STREAM, 0);
    KREQUIRE(server.listener >= 0);
    int yes = 1;
    (void)lwip_setsockopt(server.listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address = loopback(ECHO_PORT);
    KREQUIRE(lwip_bind(server.listener, reinterpret_cast<sockaddr*>(&address), sizeof address) ==
             0);
    KREQUIRE(lwip_listen(server.listener, 1) == 0);
    auto thread = kernel::sched::create_thread("ktest-echo", echo_once, &server);
    KREQUIRE(thread.has_value());
    kernel::sched::start(thread.value());

    int client = lwip_socket(AF_INET, SOCK_STREAM, 0);
    KREQUIRE(client >= 0);
    timeval limit = {5, 0};
    (void)lwip_setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    KEXPECT(lwip_connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    // Send and read the echo as it comes, neither call blocking (a blocked sender whose echo is
    // not read would stall both ends), within a deadline.
    static nk::u8 back[ECHO_BYTES];
    static nk::u8 piece[8192];
    nk::usize sent = 0;
    nk::usize received = 0;
    bool failed = false;
    nk::u64 deadline = kernel::clock::ticks() + 20 * kernel::clock::TICK_HZ;
    while (received < ECHO_BYTES && !failed && kernel::clock::ticks() < deadline) {
        bool progress = false;
        if (sent < ECHO_BYTES) {
            nk::usize length = nk::min(sizeof piece, ECHO_BYTES - sent);
            for (nk::usize i = 0; i < length; ++i)
                piece[i] = pattern_byte(sent + i);
            int wrote = lwip_send(client, piece, length, MSG_DONTWAIT);
            if (wrote > 0) {
                sent += nk::usize(wrote);
                progress = true;
            } else if (errno != EWOULDBLOCK && errno != EAGAIN) {
                failed = true;
            }
        }
        int got = lwip_recv(client, back + received, ECHO_BYTES - received, MSG_DONTWAIT);
        if (got > 0) {
            received += nk::usize(got);
            progress = true;
        } else if (got == 0 || (errno != EWOULDBLOCK && errno != EAGAIN)) {
            failed = true;
        }
        if (!progress)
            kernel::sched::sleep_ms(1);
    }
    KEXPECT(!failed);
    KEXPECT(received == ECHO_BYTES);
    bool same = true;
    for (nk::usize i = 0; i < received; ++i)
        same = same && back[i] == pattern_byte(i);
    KEXPECT(same);
    lwip_close(client);
    KEXPECT(server.done.down_for(5000));
    KEXPECT(server.echoed == ECHO_BYTES);
    lwip_close(server.listener);
}

KTEST(net_udp_and_receive_timeout_over_loopback) {
    KREQUIRE(kernel::net::start_stack().has_value());
    int receiver = lwip_socket(AF_INET, SOCK_DGRAM, 0);
    int sender = lwip_socket(AF_INET, SOCK_DGRAM, 0);
    KREQUIRE(receiver >= 0 && sender >= 0);
    sockaddr_in address = loopback(ECHO_PORT + 1);
    KREQUIRE(lwip_bind(receiver, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    timeval limit = {0, 200 * 1000};
    (void)lwip_setsockopt(receiver, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    // Nothing sent yet: the wait ends with EWOULDBLOCK after the timeout, not never.
    char buffer[64];
    nk::u64 before = kernel::clock::ticks();
    KEXPECT(lwip_recv(receiver, buffer, sizeof buffer, 0) < 0);
    KEXPECT(errno == EWOULDBLOCK || errno == EAGAIN);
    nk::u64 waited = kernel::clock::ticks() - before;
    KEXPECT(waited >= 150 && waited < 2000);
    const char message[] = "datagram over loopback";
    KEXPECT(lwip_sendto(sender, message, sizeof message, 0, reinterpret_cast<sockaddr*>(&address),
                        sizeof address) == int(sizeof message));
    KEXPECT(lwip_recv(receiver, buffer, sizeof buffer, 0) == int(sizeof message));
    KEXPECT(memcmp(buffer, message, sizeof message) == 0);
    lwip_close(sender);
    lwip_close(receiver);
}
