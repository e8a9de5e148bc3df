#include <kernel/boot/command_line.h>
#include <kernel/net/interface.h>
#include <kernel/net/iperf.h>
#include <kernel/net/net_device.h>
#include <kernel/net/stack.h>
#include <kernel/net/tcp_source.h>
#include <kernel/pci/pci.h>
#include <kernel/sched/scheduler.h>
#include <nooks/extension_manager.h>
#include <nooks/network_boot.h>

#include <nk_stdlib.h>
#include <stdio.h>
#include <string.h>

namespace nooks {

namespace {

constexpr const char* DRIVER = "/lib/modules/e1000.ko";
constexpr const char* DEVICE = "eth0";

// The 8254x functions the e1000 extension drives (QEMU's default NIC is the 82540EM, 100E).
bool has_e1000() {
    return kernel::pci::find_by_id(0x8086, 0x100e) || kernel::pci::find_by_id(0x8086, 0x100f) ||
           kernel::pci::find_by_id(0x8086, 0x1004);
}

constexpr nk::u16 IPERF_PORT = 5001;
constexpr unsigned IPERF_RUNS = 8;

// `iperfd` on the command line: an iperf receive side on port 5001 from boot, for emulators where
// nothing can be typed (the network benchmark in Bochs). Takes up to IPERF_RUNS tests, one at a
// time, each reported on the console as the shell's `iperf -s` would.
// One test's figures on the console, as the shell's `iperf` prints them.
void report(const char* verb, const nk::Result<kernel::net::IperfResult>& result) {
    if (result.is_error()) {
        kprintf("iperf: %s: %s\n", verb, nk::error_string(result.error()));
        return;
    }
    const auto& r = result.value();
    kprintf("iperf: %s %llu bytes in %u ms: %u kbit/s; cpu %u%% busy\n", verb,
            (unsigned long long)r.bytes, r.milliseconds, r.kbit_per_second, r.cpu_busy_percent);
}

void iperf_service(void*) {
    for (unsigned run = 0; run < IPERF_RUNS; ++run)
        report("received", kernel::net::iperf_receive(IPERF_PORT, 600000));
}

// With `iperfd`, the send direction too: whoever connects to port 5002 is sent data for
// `iperfd.seconds` (default 10), the figures reported like the receive side's. A host-side reader
// measures the guest sending where the guest cannot connect out (Bochs' restricted slirp).
constexpr nk::u16 SOURCE_PORT = 5002;

void source_service(void*) {
    nk::u32 seconds = 10;
    if (const char* value = kernel::command_line::value("iperfd.seconds")) {
        const char* end = value;
        nk::u64 parsed = nk::parse_unsigned(value, &end, 10);
        if (*end == 0 && parsed > 0 && parsed <= 3600)
            seconds = nk::u32(parsed);
        else
            kprintf("net: iperfd.seconds=%s: expected 1 to 3600; sending for %u s\n", value,
                    unsigned(seconds));
    }
    for (unsigned run = 0; run < IPERF_RUNS; ++run) {
        auto result = kernel::net::tcp_source(SOURCE_PORT, seconds, 600000);
        report("sent", result);
        if (result.is_error())
            kernel::sched::sleep_ms(1000); // not straight into the same failure again
    }
}

} // namespace

void start_network() {
    if (kernel::command_line::has("nonet") || !kernel::net::stack_running() || !has_e1000())
        return;
    const char* wanted = kernel::command_line::value("net");
    ExtensionMode mode =
        wanted && strcmp(wanted, "native") == 0 ? ExtensionMode::Native : ExtensionMode::Isolated;
    LoadProblem problem = {};
    if (auto loaded = load_extension_file("/", DRIVER, mode, &problem); loaded.is_error()) {
        kprintf("net: cannot load %s: %s%s%s\n", DRIVER, nk::error_string(loaded.error()),
                problem.message[0] ? ": " : "", problem.message);
        return;
    }
    kernel::net::NetDevice* device = kernel::net::find(DEVICE);
    if (!device) {
        kprintf("net: the driver registered no %s\n", DEVICE);
        return;
    }
    if (auto attached = kernel::net::attach(*device, true); attached.is_error())
        kprintf("net: %s: %s\n", DEVICE, nk::error_string(attached.error()));
    else
        kprintf("net: %s up (e1000, %s); asking DHCP for an address\n", DEVICE, mode_name(mode));
    device->unref();
    // Further NICs the driver found (eth1...): up, without an address (`ifconfig ethN ADDRESS
    // NETMASK` or `dhcp ethN` gives one).
    for (unsigned index = 1; index < 4; ++index) {
        char name[8];
        snprintf(name, sizeof name, "eth%u", index);
        kernel::net::NetDevice* more = kernel::net::find(name);
        if (!more)
            break;
        if (auto attached = kernel::net::attach(*more, false); attached.is_error())
            kprintf("net: %s: %s\n", name, nk::error_string(attached.error()));
        else
            kprintf("net: %s up (e1000, %s), no address yet\n", name, mode_name(mode));
        more->unref();
    }
    if (kernel::command_line::has("iperfd")) {
        if (auto thread = kernel::sched::create_thread("iperfd", iperf_service, nullptr);
            thread.has_value()) {
            kernel::sched::start(thread.value());
            kprintf("net: iperf receive side on port %u\n", unsigned(IPERF_PORT));
        }
        if (auto thread = kernel::sched::create_thread("tcpsource", source_service, nullptr);
            thread.has_value()) {
            kernel::sched::start(thread.value());
            kprintf("net: TCP source (the send side) on port %u\n", unsigned(SOURCE_PORT));
        }
    }
}

} // namespace nooks
