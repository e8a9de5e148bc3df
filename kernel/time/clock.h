// Time: a periodic tick from the PIT and a TSC calibrated against it, so the kernel can report
// nanoseconds and cycles.
#pragma once

#include <nk/types.h>

namespace kernel::clock {

constexpr nk::u32 TICK_HZ = 1000;

// Calibrates the TSC (PIT channel 2, polled) and starts the periodic tick on IRQ 0.
void init();

nk::u64 tsc_hz();
nk::u64 ticks();
// Nanoseconds since the kernel's entry point (boot.S records the TSC there).
nk::u64 nanoseconds_since_boot();
nk::u64 cycles_to_nanoseconds(nk::u64 cycles);
nk::u64 milliseconds_to_cycles(nk::u64 milliseconds);
nk::u64 boot_entry_tsc();
// Seconds since 1970-01-01 00:00 UTC (the RTC read at boot, carried on by the TSC); 0 when the
// RTC gave nothing sensible.
nk::u64 epoch_seconds();

// The time as a structure refreshed at every tick, for readers that should not call a function
// for it: an isolated extension reads it in place (kernel memory is readable in its domain), where
// a call would be a crossing (nooks/kernel_api.h, nk_clock).
struct SharedClock {
    volatile nk::u64 uptime_ns;     // at the last tick
    volatile nk::u64 epoch_seconds; // 0 when the RTC gave nothing sensible
    volatile nk::u64 busy_ns;       // CPU time not halted since boot (sched::idle_cycles)
};
const SharedClock& shared_clock();

} // namespace kernel::clock
