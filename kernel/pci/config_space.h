// Access to PCI configuration space, behind an interface so that the enumeration and BAR logic
// can run on a fake in host tests. The machine's implementation (configuration mechanism #1,
// arch/x86/pci_config) is in pci.cpp.
#pragma once

#include <nk/types.h>

namespace kernel::pci {

// Bus 0-255, device 0-31, function 0-7 (PCI Local Bus Specification 3.0, §3.2.2.3.2).
struct Address {
    nk::u8 bus;
    nk::u8 device;
    nk::u8 function;

    bool operator==(const Address&) const = default;
};

constexpr unsigned DEVICES_PER_BUS = 32;
constexpr unsigned FUNCTIONS_PER_DEVICE = 8;

// Offsets are byte offsets into a function's 256-byte header. 16-bit accesses must be 2-byte
// aligned and 32-bit accesses 4-byte aligned. Each width is its own operation, never a
// read-modify-write of the surrounding dword: the Status register (offset 6) has write-1-to-clear
// bits that a dword write of the Command register would clear by accident (§6.2.3).
// A read of an absent function returns all ones.
class ConfigSpace {
public:
    virtual nk::u8 read8(Address address, nk::u8 offset) = 0;
    virtual nk::u16 read16(Address address, nk::u8 offset) = 0;
    virtual nk::u32 read32(Address address, nk::u8 offset) = 0;
    virtual void write8(Address address, nk::u8 offset, nk::u8 value) = 0;
    virtual void write16(Address address, nk::u8 offset, nk::u16 value) = 0;
    virtual void write32(Address address, nk::u8 offset, nk::u32 value) = 0;

protected:
    // Never destroyed through the interface.
    ~ConfigSpace() = default;
};

} // namespace kernel::pci
