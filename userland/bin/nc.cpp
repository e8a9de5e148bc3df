// nc: move bytes over one TCP connection, made or accepted.
//   nc [-q] [-i FILE] [-o FILE] [-w SECONDS] HOST PORT   connect to HOST:PORT
//   nc -l PORT [-q] [-i FILE] [-o FILE] [-w SECONDS]     wait for one connection on PORT
// With -i the file is sent first and the sending side then closed (the peer sees the end);
// everything the peer sends goes to -o's file (made anew) or to standard output until it closes
// — or, with -q, nothing more is read once the input is sent (for a peer that never closes).
// With -u, UDP: the input goes out in datagrams of at most 1400 bytes and an empty one marks its
// end; listening, datagrams are taken until an empty one, and the sender gets one back saying
// how many bytes came ("nc: N bytes").
// -w bounds every wait (connect, accept, each receive); default 30 s, 0 for none. Exit status 0
// when the connection ended normally, 1 on an error (said on standard error), 2 for bad usage.
#include <nk/syscall_abi.h>
#include <nk_stdlib.h>
#include <nk_string.h>
#include <stdio.h>
#include <userland/lib/io.h>
#include <userland/lib/net_address.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>

namespace {

namespace abi = nk::abi;
using nk::u16;
using nk::u32;
using nk::u64;
using nk::usize;

constexpr usize BUFFER = 64 * 1024;
char g_buffer[BUFFER];

struct Options {
    bool listen = false;
    bool quit_after_input = false;
    bool udp = false;
    const char* host = nullptr;
    u16 port = 0;
    const char* input = nullptr;
    const char* output = nullptr;
    u64 wait_ms = 30000;
};

int usage() {
    dprintf(2, "usage: nc [-u] [-q] [-i FILE] [-o FILE] [-w SECONDS] HOST PORT\n"
               "       nc -l PORT [-u] [-q] [-i FILE] [-o FILE] [-w SECONDS]\n");
    return 2;
}

int fail(const char* what, nk::Error error) {
    dprintf(2, "nc: %s: %s\n", what, nk::error_string(error));
    return 1;
}

bool parse(int argc, char** argv, Options& options) {
    const char* words[2] = {};
    int count = 0;
    for (int i = 1; i < argc; ++i) {
        const char* word = argv[i];
        bool takes_value = nk::compare_strings(word, "-i") == 0 ||
                           nk::compare_strings(word, "-o") == 0 ||
                           nk::compare_strings(word, "-w") == 0;
        if (nk::compare_strings(word, "-l") == 0) {
            options.listen = true;
        } else if (nk::compare_strings(word, "-q") == 0) {
            options.quit_after_input = true;
        } else if (nk::compare_strings(word, "-u") == 0) {
            options.udp = true;
        } else if (takes_value) {
            if (i + 1 >= argc)
                return false;
            const char* value = argv[++i];
            if (word[1] == 'i') {
                options.input = value;
            } else if (word[1] == 'o') {
                options.output = value;
            } else {
                const char* end = nullptr;
                u64 seconds = nk::parse_unsigned(value, &end, 10);
                if (!end || *end || end == value || seconds > 3600)
                    return false;
                options.wait_ms = seconds * 1000;
            }
        } else if (word[0] == '-' || count == 2) {
            return false;
        } else {
            words[count++] = word;
        }
    }
    if (options.listen) {
        if (count != 1)
            return false;
        return user::parse_port(words[0], &options.port);
    }
    if (count != 2)
        return false;
    u32 ignored;
    if (!user::parse_ipv4(words[0], &ignored)) {
        dprintf(2, "nc: %s: not an IPv4 address (names are not resolved)\n", words[0]);
        return false;
    }
    options.host = words[0];
    return user::parse_port(words[1], &options.port);
}

nk::Result<int> connection(const Options& options) {
    int fd = TRY(sys::socket(abi::SocketType::Stream));
    if (options.wait_ms) {
        (void)sys::set_socket_option(fd, abi::SocketOption::ReceiveTimeoutMs, options.wait_ms);
        (void)sys::set_socket_option(fd, abi::SocketOption::SendTimeoutMs, options.wait_ms);
    }
    if (!options.listen) {
        u32 address = 0;
        user::parse_ipv4(options.host, &address);
        if (auto connected = sys::connect(fd, {address, options.port, 0}); connected.is_error()) {
            (void)sys::close(fd);
            return connected.error();
        }
        return fd;
    }
    (void)sys::set_socket_option(fd, abi::SocketOption::ReuseAddress, 1);
    auto ready = [&]() -> nk::ErrorOr {
        TRY(sys::bind(fd, {0, options.port, 0}));
        TRY(sys::listen(fd, 1));
        return {};
    }();
    if (ready.is_error()) {
        (void)sys::close(fd);
        return ready.error();
    }
    // The accept is bounded by the same wait (a poll on the listener first).
    abi::PollEntry entry = {fd, abi::POLL_IN, 0};
    auto polled = sys::poll(&entry, 1, options.wait_ms ? long(options.wait_ms) : -1);
    if (polled.is_error() || polled.value() == 0) {
        (void)sys::close(fd);
        return polled.is_error() ? polled.error() : nk::Error::TimedOut;
    }
    abi::SocketAddress peer = {};
    auto accepted = sys::accept(fd, &peer);
    (void)sys::close(fd);
    if (accepted.is_error())
        return accepted.error();
    char text[16];
    user::format_ipv4(peer.address, text);
    dprintf(2, "nc: connection from %s:%u\n", text, peer.port);
    if (options.wait_ms) {
        (void)sys::set_socket_option(accepted.value(), abi::SocketOption::ReceiveTimeoutMs,
                                     options.wait_ms);
        (void)sys::set_socket_option(accepted.value(), abi::SocketOption::SendTimeoutMs,
                                     options.wait_ms);
    }
    return accepted.value();
}

// Everything the socket receives into `output`, until the end (a TCP peer's close, an empty UDP
// datagram); `from` (if not null) gets the last sender. 0, or the exit status of a failure.
int receive_all(const Options& options, int fd, int output, abi::SocketAddress* from, u64* received,
                u64* pieces) {
    for (;;) {
        auto got = sys::receive_from(fd, g_buffer, BUFFER, from);
        if (got.is_error())
            return fail("receive", got.error());
        if (got.value() == 0)
            return 0;
        if (auto written = user::write_all(output, g_buffer, got.value()); written.is_error())
            return fail(options.output ? options.output : "standard output", written.error());
        *received += got.value();
        ++*pieces;
    }
}

constexpr usize DATAGRAM = 1400;

// UDP, listening: datagrams into `output` until an empty one; the sender is told the count.
// A UDP socket whose receives wait at most -w.
nk::Result<int> udp_socket(const Options& options) {
    int fd = TRY(sys::socket(abi::SocketType::Datagram));
    if (options.wait_ms)
        (void)sys::set_socket_option(fd, abi::SocketOption::ReceiveTimeoutMs, options.wait_ms);
    return fd;
}

int udp_listen(const Options& options, int output) {
    auto made = udp_socket(options);
    if (made.is_error())
        return fail("socket", made.error());
    int fd = made.value();
    if (auto bound = sys::bind(fd, {0, options.port, 0}); bound.is_error())
        return fail("bind", bound.error());
    u64 received = 0, datagrams = 0;
    abi::SocketAddress from = {};
    if (int failed = receive_all(options, fd, output, &from, &received, &datagrams))
        return failed;
    int length = snprintf(g_buffer, BUFFER, "nc: %llu bytes\n", (unsigned long long)received);
    if (auto answered = sys::send_to(fd, g_buffer, usize(length), &from); answered.is_error())
        return fail("answer", answered.error());
    (void)sys::close(fd);
    char text[16];
    user::format_ipv4(from.address, text);
    dprintf(2, "nc: %llu bytes received in %llu datagrams (the last from %s:%u)\n",
            (unsigned long long)received, (unsigned long long)datagrams, text, from.port);
    return 0;
}

// UDP, sending: the input in datagrams, an empty one, then the peer's answer on standard output.
int udp_send(const Options& options, int input) {
    auto made = udp_socket(options);
    if (made.is_error())
        return fail("socket", made.error());
    int fd = made.value();
    u32 address = 0;
    user::parse_ipv4(options.host, &address);
    abi::SocketAddress to = {address, options.port, 0};
    u64 sent = 0;
    while (input >= 0) {
        auto got = sys::read(input, g_buffer, DATAGRAM);
        if (got.is_error())
            return fail(options.input, got.error());
        if (got.value() == 0)
            break;
        if (auto out = sys::send_to(fd, g_buffer, got.value(), &to); out.is_error())
            return fail("send", out.error());
        sent += got.value();
        (void)sys::sleep(1); // paced: nothing resends a lost datagram
    }
    if (auto out = sys::send_to(fd, g_buffer, 0, &to); out.is_error())
        return fail("send", out.error());
    dprintf(2, "nc: %llu bytes sent\n", (unsigned long long)sent);
    if (!options.quit_after_input) {
        auto got = sys::receive_from(fd, g_buffer, BUFFER, nullptr);
        if (got.is_error())
            return fail("receive", got.error());
        (void)user::write_all(user::STDOUT, g_buffer, got.value());
    }
    (void)sys::close(fd);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    Options options;
    if (!parse(argc, argv, options))
        return usage();
    int input = -1;
    if (options.input) {
        auto opened = sys::open(options.input, abi::O_RDONLY);
        if (opened.is_error())
            return fail(options.input, opened.error());
        input = opened.value();
    }
    int output = user::STDOUT;
    if (options.output) {
        auto opened = sys::open(options.output, abi::O_WRONLY | abi::O_CREAT | abi::O_TRUNC);
        if (opened.is_error())
            return fail(options.output, opened.error());
        output = opened.value();
    }
    if (options.udp)
        return options.listen ? udp_listen(options, output) : udp_send(options, input);
    auto made = connection(options);
    if (made.is_error())
        return fail(options.listen ? "accept" : "connect", made.error());
    int socket = made.value();
    u64 sent = 0, received = 0;
    if (input >= 0) {
        user::CopySide side = user::CopySide::Read;
        auto copied = user::copy_fd(input, socket, &side);
        if (copied.is_error())
            return fail(side == user::CopySide::Read ? options.input : "send", copied.error());
        sent = copied.value();
        (void)sys::shutdown(socket, abi::ShutdownHow::Write);
    }
    if (!(options.quit_after_input && input >= 0)) {
        u64 pieces = 0;
        if (int failed = receive_all(options, socket, output, nullptr, &received, &pieces))
            return failed;
    }
    (void)sys::close(socket);
    if (options.output)
        (void)sys::close(output);
    dprintf(2, "nc: %llu bytes sent, %llu received\n", (unsigned long long)sent,
            (unsigned long long)received);
    return 0;
}
