// The MC146818 real-time clock's periodic interrupt (CMOS registers A, B, C at ports 0x70/0x71).
#pragma once

namespace x86::rtc {

// Periodic interrupt at 32768 >> (rate - 1) Hz (rate 3..15; 14 gives 4 Hz) on ISA IRQ 8.
void start_periodic(unsigned rate);
// Reading register C acknowledges the interrupt; without it the RTC raises no more.
void acknowledge();

} // namespace x86::rtc
