// The configuration header's registers and bits used by the kernel (PCI Local Bus Specification
// 3.0, §6.1 "Configuration Space Organization", figure 6-1, and §6.2; the type 1 header of a
// PCI-to-PCI bridge: PCI-to-PCI Bridge Architecture Specification 1.2, §3.2).
#pragma once

#include <nk/types.h>

namespace kernel::pci::reg {

// Common to every header type.
constexpr nk::u8 VENDOR_ID = 0x00; // 16 bits; 0xffff when no function answers (§6.2.1)
constexpr nk::u8 DEVICE_ID = 0x02; // 16 bits
constexpr nk::u8 COMMAND = 0x04;   // 16 bits (§6.2.2)
constexpr nk::u8 STATUS = 0x06;    // 16 bits (§6.2.3)
constexpr nk::u8 REVISION_ID = 0x08;
constexpr nk::u8 PROG_IF = 0x09;
constexpr nk::u8 SUBCLASS = 0x0a;
constexpr nk::u8 CLASS_CODE = 0x0b;
constexpr nk::u8 HEADER_TYPE = 0x0e;    // §6.2.1
constexpr nk::u8 BAR0 = 0x10;           // §6.2.5; 6 BARs in a type 0 header, 2 in a type 1 header
constexpr nk::u8 INTERRUPT_LINE = 0x3c; // §6.2.4: written by firmware, the 8259 input on a PC
constexpr nk::u8 INTERRUPT_PIN = 0x3d;  // 0 none, 1-4 INTA#-INTD#

// Type 1 (PCI-to-PCI bridge) header.
constexpr nk::u8 PRIMARY_BUS = 0x18;
constexpr nk::u8 SECONDARY_BUS = 0x19;
constexpr nk::u8 SUBORDINATE_BUS = 0x1a;

constexpr nk::u16 VENDOR_NONE = 0xffff;

// Header Type register: bits 6:0 the layout, bit 7 set on multi-function devices.
constexpr nk::u8 HEADER_LAYOUT_MASK = 0x7f;
constexpr nk::u8 HEADER_MULTI_FUNCTION = 0x80;
constexpr nk::u8 HEADER_GENERAL = 0x00;
constexpr nk::u8 HEADER_BRIDGE = 0x01;
constexpr nk::u8 HEADER_CARDBUS = 0x02;

// Command register bits (§6.2.2).
constexpr nk::u16 COMMAND_IO_SPACE = 1u << 0;
constexpr nk::u16 COMMAND_MEMORY_SPACE = 1u << 1;
constexpr nk::u16 COMMAND_BUS_MASTER = 1u << 2;
constexpr nk::u16 COMMAND_INTERRUPT_DISABLE = 1u << 10;

// Base Address Register low bits (§6.2.5.1).
constexpr nk::u32 BAR_SPACE_IO = 1u << 0; // bit 0: 1 = I/O space, 0 = memory space
constexpr nk::u32 BAR_IO_ADDRESS_MASK = ~0x3u;
constexpr nk::u32 BAR_MEMORY_TYPE_MASK = 0x6u; // bits 2:1
constexpr nk::u32 BAR_MEMORY_TYPE_64 = 0x4u;   // 10b: 64-bit, the next BAR holds the high half
constexpr nk::u32 BAR_MEMORY_PREFETCHABLE = 1u << 3;
constexpr nk::u32 BAR_MEMORY_ADDRESS_MASK = ~0xfu;

} // namespace kernel::pci::reg
