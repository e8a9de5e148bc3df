// The network builtins, through the Net system call (the kernel formats the text):
//   ifconfig
//   dhcp [INTERFACE]
//   ping ADDRESS [-c COUNT] [-s BYTES] [-i MS] [-W MS]
//   netstat
#include <nk/syscall_abi.h>
#include <nk_stdlib.h>
#include <nk_string.h>
#include <userland/lib/io.h>
#include <userland/lib/net_address.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>
#include <userland/shell/builtins.h>
#include <userland/shell/commands.h>

namespace shell::commands {

namespace abi = nk::abi;
using nk::u32;
using nk::usize;

namespace {

constexpr usize TEXT_SIZE = 16 * 1024;
char g_text[TEXT_SIZE];

int show(Context& context, const char* command, abi::NetOperation operation, const void* in,
         usize in_length) {
    auto length = sys::net(operation, in, in_length, g_text, sizeof g_text);
    if (length.is_error())
        return report(command, nullptr, length.error());
    (void)user::write_all(context.out, g_text, usize(length.value()));
    return STATUS_OK;
}

bool parse_option(const char* text, u32 low, u32 high, u32* out) {
    const char* end = nullptr;
    nk::u64 value = nk::parse_unsigned(text, &end, 10);
    if (!end || end == text || *end != 0 || value < low || value > high)
        return false;
    *out = u32(value);
    return true;
}

} // namespace

int ifconfig(Context& context, int argc, const char* const* argv) {
    if (argc == 1)
        return show(context, "ifconfig", abi::NetOperation::Interfaces, nullptr, 0);
    if (argc != 4 && argc != 5)
        return usage(argv[0]);
    abi::InterfaceConfig config = {};
    if (nk::string_length(argv[1]) >= sizeof config.name)
        return usage(argv[0]);
    nk::copy_string(config.name, argv[1]); // the length was checked above
    for (int i = 2; i < argc; ++i) {
        u32* field = i == 2 ? &config.address : i == 3 ? &config.netmask : &config.gateway;
        if (!user::parse_ipv4(argv[i], field)) {
            dprintf(2, "ifconfig: %s: not an IPv4 address\n", argv[i]);
            return STATUS_USAGE;
        }
    }
    return show(context, "ifconfig", abi::NetOperation::Configure, &config, sizeof config);
}

int netstat(Context& context, int argc, const char* const* argv) {
    if (argc != 1)
        return usage(argv[0]);
    return show(context, "netstat", abi::NetOperation::Connections, nullptr, 0);
}

int dhcp(Context& context, int argc, const char* const* argv) {
    if (argc > 2)
        return usage(argv[0]);
    const char* name = argc == 2 ? argv[1] : "";
    return show(context, "dhcp", abi::NetOperation::Dhcp, name, nk::string_length(name) + 1);
}

int iperf(Context& context, int argc, const char* const* argv) {
    // iperf -s [-p PORT] | iperf -c ADDRESS [-p PORT]: one test against iperf 2 (lwiperf).
    abi::IperfRequest request = {0, 0, 5001, 60000};
    bool server = false, client = false;
    for (int i = 1; i < argc; ++i) {
        if (nk::compare_strings(argv[i], "-s") == 0) {
            server = true;
        } else if (nk::compare_strings(argv[i], "-c") == 0 && i + 1 < argc) {
            client = true;
            if (!user::parse_ipv4(argv[++i], &request.address)) {
                dprintf(2, "iperf: %s: not an IPv4 address\n", argv[i]);
                return STATUS_USAGE;
            }
        } else if (nk::compare_strings(argv[i], "-p") == 0 && i + 1 < argc) {
            if (!parse_option(argv[++i], 1, 65535, &request.port))
                return usage(argv[0]);
        } else {
            return usage(argv[0]);
        }
    }
    if (server == client)
        return usage(argv[0]);
    request.send = client ? 1 : 0;
    return show(context, "iperf", abi::NetOperation::Iperf, &request, sizeof request);
}

int ping(Context& context, int argc, const char* const* argv) {
    abi::PingRequest request = {0, 4, 56, 1000, 2000, 0};
    const char* target = nullptr;
    for (int i = 1; i < argc; ++i) {
        const char* option = argv[i];
        u32* value = nullptr;
        u32 low = 0, high = 0;
        if (nk::compare_strings(option, "-c") == 0) {
            value = &request.count, low = 1, high = 1000;
        } else if (nk::compare_strings(option, "-s") == 0) {
            value = &request.payload, low = 0, high = 1400;
        } else if (nk::compare_strings(option, "-i") == 0) {
            value = &request.interval_ms, low = 0, high = 10000;
        } else if (nk::compare_strings(option, "-W") == 0) {
            value = &request.timeout_ms, low = 1, high = 60000;
        } else if (option[0] != '-' && !target) {
            target = option;
            continue;
        } else {
            return usage(argv[0]);
        }
        if (i + 1 >= argc || !parse_option(argv[i + 1], low, high, value)) {
            dprintf(2, "ping: %s takes a number from %u to %u\n", option, low, high);
            return STATUS_USAGE;
        }
        ++i;
    }
    if (!target)
        return usage(argv[0]);
    if (!user::parse_ipv4(target, &request.address)) {
        dprintf(2, "ping: %s: not an IPv4 address (names are not resolved)\n", target);
        return STATUS_USAGE;
    }
    int status = show(context, "ping", abi::NetOperation::Ping, &request, sizeof request);
    // As ping(8): success when any reply came.
    return status == STATUS_OK && request.received == 0 ? STATUS_FAILURE : status;
}

} // namespace shell::commands
