// The 8254 programmable interval timer: channel 0 drives the periodic tick (IRQ 0), channel 2 is
// used once, polled, to calibrate the TSC.
#pragma once

#include <nk/types.h>

namespace x86::pit {

constexpr nk::u32 INPUT_HZ = 1193182;

// Channel 0, mode 2 (rate generator) at about `hz` interrupts per second. Returns the exact rate
// achieved in millihertz (the divisor is an integer).
nk::u64 start_periodic(nk::u32 hz);
// Busy-waits `microseconds` (at most 50 ms) on channel 2 and returns the TSC ticks that passed.
nk::u64 measure_tsc_over(nk::u32 microseconds);

} // namespace x86::pit
