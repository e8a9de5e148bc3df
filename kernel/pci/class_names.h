// Class codes (PCI Code and ID Assignment Specification 1.x, §1 "Base Class" tables; PCI Local
// Bus Specification 3.0, appendix D) and their names as lspci prints them.
#pragma once

#include <nk/types.h>

namespace kernel::pci {

namespace class_code {
constexpr nk::u8 MASS_STORAGE = 0x01;
constexpr nk::u8 NETWORK = 0x02;
constexpr nk::u8 DISPLAY = 0x03;
constexpr nk::u8 BRIDGE = 0x06;
} // namespace class_code

namespace subclass {
constexpr nk::u8 IDE = 0x01;      // of MASS_STORAGE
constexpr nk::u8 ETHERNET = 0x00; // of NETWORK
constexpr nk::u8 HOST_BRIDGE = 0x00;
constexpr nk::u8 ISA_BRIDGE = 0x01;
constexpr nk::u8 PCI_BRIDGE = 0x04;
} // namespace subclass

// The most specific name known: the subclass's ("Ethernet controller"), else the base class's
// ("Network controller"), else "Unknown class". Never null.
const char* class_name(nk::u8 class_code, nk::u8 subclass);

} // namespace kernel::pci
