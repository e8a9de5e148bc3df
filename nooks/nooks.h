// Bringing up the isolation subsystem: hooks into the kernel's fault, panic and interrupt paths.
#pragma once

namespace nooks {

void init();
// Whether interrupts-off hangs are caught (an I/O APIC routes the RTC as an NMI).
bool nmi_watchdog_running();

} // namespace nooks
