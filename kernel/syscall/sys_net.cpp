// Network system calls: the reports and actions behind the shell's ifconfig, dhcp, ping and
// netstat (sockets for programs come with their own calls).
#include <kernel/memory/kmalloc.h>
#include <kernel/net/connections.h>
#include <kernel/net/interface.h>
#include <kernel/net/iperf.h>
#include <kernel/net/ping.h>
#include <kernel/net/stack.h>
#include <kernel/sync/mutex.h>
#include <kernel/syscall/syscall_table.h>
#include <kernel/syscall/user_memory.h>

#include <stdio.h>
#include <string.h>

namespace kernel::syscalls {

namespace {

constexpr nk::usize REPORT_SIZE = 16 * 1024;

// One ping at a time (one socket and one result slot); iperf serialises its own tests
// (iperf.cpp), which the boot-time `iperfd` thread runs too.
Mutex g_ping_lock;

// A request structure from the program: exactly its size, readable.
template <typename Request>
nk::ErrorOr read_request(Request& request, nk::u64 in, nk::usize in_length) {
    if (in_length != sizeof request)
        return Error::Invalid;
    return user::read(request, in);
}

Result<nk::usize> dhcp(const char* name, char* text) {
    auto config = TRY(net::run_dhcp(name[0] ? name : "eth0", abi::DHCP_WAIT_MS));
    char address[16], netmask[16], gateway[16];
    net::format_ipv4(config.address, address);
    net::format_ipv4(config.netmask, netmask);
    net::format_ipv4(config.gateway, gateway);
    int wrote = snprintf(text, REPORT_SIZE, "%s: %s netmask %s gateway %s (DHCP)\n",
                         name[0] ? name : "eth0", address, netmask, gateway);
    return nk::usize(wrote > 0 ? wrote : 0);
}

Result<nk::i64> sys_net(const Frame& frame) {
    auto operation = abi::NetOperation(frame.argument(0));
    nk::u64 in = frame.argument(1);
    nk::usize in_length = frame.argument(2);
    nk::u64 out = frame.argument(3);
    nk::usize out_length = frame.argument(4);
    if (!net::stack_running())
        return Error::NotSupported;
    char* text = static_cast<char*>(kmalloc(REPORT_SIZE));
    if (!text)
        return Error::NoMemory;
    Result<nk::usize> size = nk::usize(0);
    switch (operation) {
    case abi::NetOperation::Interfaces:
        size = net::format_interfaces(text, REPORT_SIZE);
        break;
    case abi::NetOperation::Connections:
        size = net::format_connections(text, REPORT_SIZE);
        break;
    case abi::NetOperation::Dhcp: {
        char name[16] = "";
        if (in && in_length) {
            auto copied = user::copy_string(name, sizeof name, in);
            if (copied.is_error()) {
                kfree(text);
                return copied.error();
            }
        }
        size = dhcp(name, text);
        break;
    }
    case abi::NetOperation::Configure: {
        abi::InterfaceConfig request;
        if (auto read = read_request(request, in, in_length); read.is_error()) {
            size = read.error();
            break;
        }
        request.name[sizeof request.name - 1] = 0;
        net::Ipv4Config config = {request.address, request.netmask, request.gateway, false};
        if (auto done = net::configure(request.name, config); done.is_error()) {
            size = done.error();
            break;
        }
        size = net::format_interfaces(text, REPORT_SIZE);
        break;
    }
    case abi::NetOperation::Iperf: {
        abi::IperfRequest request;
        if (auto read = read_request(request, in, in_length); read.is_error()) {
            size = read.error();
            break;
        }
        if (request.port == 0 || request.port > 65535 || request.timeout_ms < 1000 ||
            request.timeout_ms > 120000) {
            size = Error::Invalid;
            break;
        }
        auto result = request.send ? net::iperf_send(request.address, nk::u16(request.port),
                                                     request.timeout_ms)
                                   : net::iperf_receive(nk::u16(request.port), request.timeout_ms);
        if (result.is_error()) {
            size = result.error();
            break;
        }
        const auto& r = result.value();
        int wrote =
            snprintf(text, REPORT_SIZE, "iperf: %s %llu bytes in %u ms: %u kbit/s; cpu %u%% busy\n",
                     request.send ? "sent" : "received", (unsigned long long)r.bytes,
                     r.milliseconds, r.kbit_per_second, r.cpu_busy_percent);
        size = nk::usize(wrote > 0 ? wrote : 0);
        break;
    }
    case abi::NetOperation::Ping: {
        abi::PingRequest request;
        if (auto read = read_request(request, in, in_length); read.is_error()) {
            size = read.error();
            break;
        }
        MutexLocker locker(g_ping_lock);
        nk::usize used = 0;
        auto report = net::ping(request.address, request.count, request.payload,
                                request.interval_ms, request.timeout_ms, text, REPORT_SIZE, &used);
        size = report.is_error() ? Result<nk::usize>(report.error()) : Result<nk::usize>(used);
        if (report.has_value()) {
            request.received = report.value().received;
            if (auto written = user::write(in, request); written.is_error())
                size = written.error();
        }
        break;
    }
    default:
        size = Error::Invalid;
        break;
    }
    if (size.is_error()) {
        kfree(text);
        return size.error();
    }
    nk::usize length = nk::min(size.value(), out_length);
    auto copied = user::copy_to(out, text, length);
    kfree(text);
    TRY(copied);
    return nk::i64(length);
}

} // namespace

void register_net_calls(Handler* table) {
    table[nk::u64(abi::Syscall::Net)] = sys_net;
}

} // namespace kernel::syscalls
