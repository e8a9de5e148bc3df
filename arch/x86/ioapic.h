// The I/O APIC (Intel 82093AA datasheet): only what the Nooks NMI watchdog needs — routing one
// ISA interrupt line to the CPU as an NMI, which arrives even while interrupts are disabled.
#pragma once

#include <nk/types.h>

namespace x86::ioapic {

constexpr nk::u64 DEFAULT_PHYS = 0xfec00000;

// `registers` is where the I/O APIC's register window is mapped (uncached).
void init(volatile nk::u32* registers);
bool present();
// Delivers input `pin` as an NMI to the boot processor (APIC ID 0), edge triggered.
void route_as_nmi(unsigned pin);
void mask(unsigned pin);

} // namespace x86::ioapic
