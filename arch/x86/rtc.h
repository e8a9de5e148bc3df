// The MC146818 real-time clock's periodic interrupt (CMOS registers A, B, C at ports 0x70/0x71).
#pragma once

#include <nk/types.h>

namespace x86::rtc {

// Periodic interrupt at 32768 >> (rate - 1) Hz (rate 3..15; 14 gives 4 Hz) on ISA IRQ 8.
void start_periodic(unsigned rate);
// Reading register C acknowledges the interrupt; without it the RTC raises no more.
void acknowledge();

// The date and time the RTC holds, as seconds since 1970-01-01 00:00 (the RTC is taken to run
// on UTC, as QEMU's and Bochs' do by default). Waits out an update in progress (at most ~2 ms).
nk::u64 read_epoch_seconds();

} // namespace x86::rtc
