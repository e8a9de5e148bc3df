#include <arch/x86/cpu.h>
#include <kernel/net/iperf.h>
#include <kernel/net/stack.h>
#include <kernel/sched/scheduler.h>
#include <kernel/sync/mutex.h>
#include <kernel/sync/semaphore.h>
#include <kernel/time/clock.h>

extern "C" {
#include "lwip/apps/lwiperf.h"
#include "lwip/tcpip.h"
}

namespace kernel::net {

namespace {

// One test at a time: both callers (the `iperf` system call and the `iperfd` boot thread) go
// through g_lock, held for a whole test, which guards g_test and the listener below. lwiperf's
// report comes on the stack's thread, tagged with the test's number so a late report of an
// abandoned test is ignored.
Mutex g_lock;

struct Test {
    Semaphore done;
    nk::u64 number;
    bool failed;
    nk::u64 bytes;
    nk::u32 milliseconds;
    nk::u32 kbit;
} g_test;

// lwiperf 2.1.3's lwiperf_abort() unlinks its first list entry wrongly (the list head keeps the
// freed entry), so sessions are never aborted here: the receive side's listener, once started,
// stays for the next test, and an abandoned test just ends on its own.
void* g_listener = nullptr;
nk::u16 g_listener_port = 0;

void on_report(void* tag, lwiperf_report_type type, const ip_addr_t*, u16_t, const ip_addr_t*,
               u16_t, u32_t bytes, u32_t milliseconds, u32_t kbit) {
    // The listener reports untagged (it outlives tests; a report while no test waits is
    // drained when the next one starts).
    if (tag && reinterpret_cast<nk::u64>(tag) != g_test.number)
        return;
    g_test.failed = type != LWIPERF_TCP_DONE_SERVER && type != LWIPERF_TCP_DONE_CLIENT;
    g_test.bytes = bytes;
    g_test.milliseconds = milliseconds;
    g_test.kbit = kbit;
    g_test.done.up();
}

template <typename Start>
nk::Result<IperfResult> run(Start start, nk::u32 timeout_ms) {
    if (!stack_running())
        return nk::Error::NotSupported;
    nk::u64 cycles;
    nk::u64 idle;
    {
        LOCK_TCPIP_CORE();
        ++g_test.number;
        while (g_test.done.try_down()) {
        }
        cycles = x86::rdtsc();
        idle = sched::idle_cycles();
        bool started = start(reinterpret_cast<void*>(g_test.number));
        UNLOCK_TCPIP_CORE();
        if (!started)
            return nk::Error::NoMemory;
    }
    bool reported = g_test.done.down_for(timeout_ms);
    cycles = x86::rdtsc() - cycles;
    idle = sched::idle_cycles() - idle;
    if (!reported)
        return nk::Error::TimedOut;
    if (g_test.failed)
        return nk::Error::IO;
    return IperfResult{g_test.bytes, g_test.milliseconds, g_test.kbit,
                       sched::busy_percent(cycles, idle)};
}

} // namespace

nk::Result<IperfResult> iperf_receive(nk::u16 port, nk::u32 timeout_ms) {
    MutexLocker locker(g_lock);
    if (g_listener && g_listener_port != port)
        return nk::Error::Busy; // one listener for the kernel's life (see above)
    return run(
        [&](void*) {
            if (!g_listener) {
                g_listener = lwiperf_start_tcp_server(IP_ADDR_ANY, port, on_report, nullptr);
                g_listener_port = port;
            }
            return g_listener != nullptr;
        },
        timeout_ms);
}

nk::Result<IperfResult> iperf_send(nk::u32 address, nk::u16 port, nk::u32 timeout_ms) {
    MutexLocker locker(g_lock);
    ip_addr_t remote;
    ip_addr_set_ip4_u32_val(remote, lwip_htonl(address));
    return run(
        [&](void* tag) {
            return lwiperf_start_tcp_client(&remote, port, LWIPERF_CLIENT, on_report, tag) !=
                   nullptr;
        },
        timeout_ms);
}

} // namespace kernel::net
