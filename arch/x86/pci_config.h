// PCI configuration mechanism #1: the CONFIG_ADDRESS (0xcf8) / CONFIG_DATA (0xcfc) port pair
// (PCI Local Bus Specification 3.0, §3.2.2.3.2 "Software Generation of Configuration
// Transactions"). The only code that touches these ports; kernel/pci reaches it through the
// ConfigSpace interface.
//
// Offsets are byte offsets into the 256-byte configuration header of one function. A 16-bit
// access must be 2-byte aligned and a 32-bit access 4-byte aligned (the mechanism cannot cross a
// dword); the low offset bits are dropped otherwise. Every access is one address write plus one
// data access, done with interrupts off so that an interrupt handler touching configuration space
// cannot slip its own address in between.
#pragma once

#include <nk/types.h>

namespace x86::pci_config {

nk::u8 read8(nk::u8 bus, nk::u8 device, nk::u8 function, nk::u8 offset);
nk::u16 read16(nk::u8 bus, nk::u8 device, nk::u8 function, nk::u8 offset);
nk::u32 read32(nk::u8 bus, nk::u8 device, nk::u8 function, nk::u8 offset);
void write8(nk::u8 bus, nk::u8 device, nk::u8 function, nk::u8 offset, nk::u8 value);
void write16(nk::u8 bus, nk::u8 device, nk::u8 function, nk::u8 offset, nk::u16 value);
void write32(nk::u8 bus, nk::u8 device, nk::u8 function, nk::u8 offset, nk::u32 value);

} // namespace x86::pci_config
