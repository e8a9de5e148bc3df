#include <arch/x86/cpu.h>
#include <arch/x86/pit.h>
#include <arch/x86/rtc.h>
#include <kernel/interrupts/irq.h>
#include <kernel/sched/scheduler.h>
#include <kernel/time/clock.h>
#include <kernel/time/timer.h>

extern "C" nk::u64 boot_entry_tsc;

namespace kernel::clock {

namespace {

nk::u64 g_tsc_hz = 0;
// Nanoseconds per cycle as a 32.32 fixed-point number: a conversion is one multiply and a shift
// (no 128-bit division, which would need libgcc).
nk::u64 g_ns_per_cycle_fp32 = 0;
volatile nk::u64 g_ticks = 0;
// Written only here and at init; readers take each field as it is.
SharedClock g_shared;

bool on_tick(void*) {
    g_ticks = g_ticks + 1;
    nk::u64 now = nanoseconds_since_boot();
    nk::u64 idle_ns = cycles_to_nanoseconds(sched::idle_cycles());
    g_shared.uptime_ns = now;
    g_shared.epoch_seconds = epoch_seconds();
    g_shared.busy_ns = now - nk::min(idle_ns, now);
    timers::on_tick(g_ticks);
    sched::on_tick();
    return true;
}

} // namespace

namespace {
nk::u64 g_boot_epoch_seconds = 0;
}

void init() {
    // Three 10 ms windows; the smallest count is the one least disturbed (an emulator's vCPU
    // thread can be descheduled inside a window, which only ever adds cycles).
    constexpr nk::u32 WINDOW_US = 10000;
    nk::u64 best = ~0ull;
    for (int i = 0; i < 3; ++i) {
        nk::u64 cycles = x86::pit::measure_tsc_over(WINDOW_US);
        if (cycles != 0 && cycles < best)
            best = cycles;
    }
    g_tsc_hz = best == ~0ull ? 1000000000ull : best * (1000000 / WINDOW_US);
    g_ns_per_cycle_fp32 = (1000000000ull << 32) / g_tsc_hz;
    x86::pit::start_periodic(TICK_HZ);
    (void)irq::register_handler(0, on_tick, nullptr);
    // Wall-clock time: the RTC once, then the TSC.
    nk::u64 rtc = x86::rtc::read_epoch_seconds();
    nk::u64 uptime = nanoseconds_since_boot() / 1000000000ull;
    g_boot_epoch_seconds = rtc > uptime ? rtc - uptime : 0;
}

const SharedClock& shared_clock() {
    return g_shared;
}

nk::u64 epoch_seconds() {
    return g_boot_epoch_seconds ? g_boot_epoch_seconds + nanoseconds_since_boot() / 1000000000ull
                                : 0;
}

nk::u64 tsc_hz() {
    return g_tsc_hz;
}
nk::u64 ticks() {
    return g_ticks;
}
nk::u64 boot_entry_tsc() {
    return ::boot_entry_tsc;
}

nk::u64 cycles_to_nanoseconds(nk::u64 cycles) {
    // 64x64->128-bit multiply: exact for any uptime.
    return nk::u64(((unsigned __int128)cycles * g_ns_per_cycle_fp32) >> 32);
}

nk::u64 milliseconds_to_cycles(nk::u64 milliseconds) {
    return milliseconds * (tsc_hz() / 1000);
}

nk::u64 nanoseconds_since_boot() {
    return cycles_to_nanoseconds(x86::rdtsc() - ::boot_entry_tsc);
}

} // namespace kernel::clock
