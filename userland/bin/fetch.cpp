// fetch URL [-o FILE]: an HTTP/1.1 GET of http://ADDRESS[:PORT]/PATH (an IPv4 address: there is
// no DNS). The body goes to FILE (made anew) or standard output; the status line and size to
// standard error. Exit status 0 for a 2xx answer whose body arrived whole (Content-Length, or
// the connection's end), 1 otherwise, 2 for bad usage. Every wait is bounded (30 s).
#include <nk/syscall_abi.h>
#include <nk_stdlib.h>
#include <nk_string.h>
#include <stdio.h>
#include <string.h>
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

constexpr u64 WAIT_MS = 30000;
constexpr usize HEADER_MAX = 16 * 1024;
constexpr usize BUFFER = 64 * 1024;
char g_header[HEADER_MAX + 1];
char g_buffer[BUFFER];

struct Url {
    char host[16];
    u32 address;
    u16 port;
    const char* path;
};

bool starts_with(const char* text, const char* prefix) {
    return nk::compare_strings_bounded(text, prefix, nk::string_length(prefix)) == 0;
}

bool parse_url(const char* text, Url& url) {
    if (!starts_with(text, "http://"))
        return false;
    text += 7;
    usize length = 0;
    while (text[length] && text[length] != ':' && text[length] != '/')
        ++length;
    if (length == 0 || length >= sizeof url.host)
        return false;
    memcpy(url.host, text, length);
    url.host[length] = 0;
    if (!user::parse_ipv4(url.host, &url.address))
        return false;
    text += length;
    url.port = 80;
    if (*text == ':') {
        char port[8];
        usize digits = 0;
        ++text;
        while (text[digits] && text[digits] != '/' && digits < sizeof port - 1) {
            port[digits] = text[digits];
            ++digits;
        }
        port[digits] = 0;
        if (!user::parse_port(port, &url.port))
            return false;
        text += digits;
    }
    url.path = *text ? text : "/";
    return *url.path == '/';
}

int fail(const char* what, nk::Error error) {
    dprintf(2, "fetch: %s: %s\n", what, nk::error_string(error));
    return 1;
}

// The value of header `name` (case-insensitive) in the header block, or nullptr.
const char* header_value(const char* headers, const char* name) {
    usize length = nk::string_length(name);
    for (const char* line = headers; line && *line;) {
        bool match = true;
        for (usize i = 0; i < length && match; ++i) {
            char c = line[i];
            if (c >= 'A' && c <= 'Z')
                c = char(c + 32);
            match = c == name[i];
        }
        if (match && line[length] == ':') {
            const char* value = line + length + 1;
            while (*value == ' ' || *value == '\t')
                ++value;
            return value;
        }
        const char* next = nk::find_substring(line, "\r\n");
        line = next ? next + 2 : nullptr;
    }
    return nullptr;
}

} // namespace

int main(int argc, char** argv) {
    const char* target = nullptr;
    const char* output_path = nullptr;
    for (int i = 1; i < argc; ++i) {
        if (nk::compare_strings(argv[i], "-o") == 0 && i + 1 < argc)
            output_path = argv[++i];
        else if (!target && argv[i][0] != '-')
            target = argv[i];
        else
            target = nullptr, i = argc;
    }
    Url url;
    if (!target || !parse_url(target, url)) {
        dprintf(2, "usage: fetch http://ADDRESS[:PORT]/PATH [-o FILE]   (an IPv4 address)\n");
        return 2;
    }
    auto made = sys::socket(abi::SocketType::Stream);
    if (made.is_error())
        return fail("socket", made.error());
    int fd = made.value();
    (void)sys::set_socket_option(fd, abi::SocketOption::ReceiveTimeoutMs, WAIT_MS);
    (void)sys::set_socket_option(fd, abi::SocketOption::SendTimeoutMs, WAIT_MS);
    if (auto connected = sys::connect(fd, {url.address, url.port, 0}); connected.is_error())
        return fail(target, connected.error());
    int request_length =
        snprintf(g_buffer, BUFFER,
                 "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: nooks-fetch\r\nConnection: "
                 "close\r\n\r\n",
                 url.path, url.host, url.port);
    if (request_length <= 0 || usize(request_length) >= BUFFER)
        return fail(target, nk::Error::NameTooLong);
    if (auto sent = user::write_all(fd, g_buffer, usize(request_length)); sent.is_error())
        return fail("send", sent.error());
    // The head: up to the blank line.
    usize have = 0;
    const char* body_start = nullptr;
    while (!body_start) {
        if (have == HEADER_MAX) {
            dprintf(2, "fetch: the response head is longer than %zu bytes\n", HEADER_MAX);
            return 1;
        }
        auto got = sys::read(fd, g_header + have, HEADER_MAX - have);
        if (got.is_error())
            return fail("receive", got.error());
        if (got.value() == 0) {
            dprintf(2, "fetch: the connection closed before the response head ended\n");
            return 1;
        }
        have += got.value();
        g_header[have] = 0;
        if (const char* end = nk::find_substring(g_header, "\r\n\r\n"))
            body_start = end + 4;
    }
    if (!starts_with(g_header, "HTTP/1.")) {
        dprintf(2, "fetch: not an HTTP response\n");
        return 1;
    }
    const char* status_text = g_header + 9;
    const char* line_end = nk::find_substring(g_header, "\r\n");
    int status = int(nk::parse_unsigned(status_text, nullptr, 10));
    dprintf(2, "fetch: %.*s\n", int(line_end - g_header), g_header);
    bool has_length = false;
    u64 content_length = 0;
    if (const char* value = header_value(line_end + 2, "content-length")) {
        const char* end = nullptr;
        content_length = nk::parse_unsigned(value, &end, 10);
        has_length = end && end != value;
    }
    int output = user::STDOUT;
    if (output_path) {
        auto opened = sys::open(output_path, abi::O_WRONLY | abi::O_CREAT | abi::O_TRUNC);
        if (opened.is_error())
            return fail(output_path, opened.error());
        output = opened.value();
    }
    u64 received = have - usize(body_start - g_header);
    if (has_length && received > content_length)
        received = content_length; // a server that sends more than it said: the rest is cut
    if (auto written = user::write_all(output, body_start, usize(received)); written.is_error())
        return fail("write", written.error());
    while (!has_length || received < content_length) {
        usize want = BUFFER;
        if (has_length && content_length - received < want)
            want = usize(content_length - received);
        auto got = sys::read(fd, g_buffer, want);
        if (got.is_error())
            return fail("receive", got.error());
        if (got.value() == 0)
            break;
        if (auto written = user::write_all(output, g_buffer, got.value()); written.is_error())
            return fail("write", written.error());
        received += got.value();
    }
    (void)sys::close(fd);
    if (output_path)
        (void)sys::close(output);
    dprintf(2, "fetch: %llu bytes\n", (unsigned long long)received);
    if (has_length && received < content_length) {
        dprintf(2, "fetch: the body ended after %llu of %llu bytes\n", (unsigned long long)received,
                (unsigned long long)content_length);
        return 1;
    }
    return status >= 200 && status < 300 ? 0 : 1;
}
