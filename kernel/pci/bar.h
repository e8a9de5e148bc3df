// Base Address Registers: where a function's registers live and how large the window is
// (PCI Local Bus Specification 3.0, §6.2.5 "Base Addresses").
#pragma once

#include <kernel/pci/config_space.h>
#include <nk/types.h>

namespace kernel::pci {

enum class BarKind : nk::u8 {
    None,     // unimplemented (reads zero, ignores writes), or the upper half of a 64-bit BAR
    Io,       // I/O space
    Memory32, // memory space, decoded anywhere in the low 4 GiB
    Memory64, // memory space, 64-bit address; consumes this BAR and the next
};

struct Bar {
    BarKind kind = BarKind::None;
    bool prefetchable = false; // memory only: reads have no side effects (§6.2.5.1)
    nk::u64 address = 0;       // as programmed by firmware; the low type bits stripped
    nk::u64 size = 0;          // bytes decoded; a power of two, 0 for None

    bool is_present() const { return kind != BarKind::None; }
    bool is_io() const { return kind == BarKind::Io; }
    bool is_memory() const { return kind == BarKind::Memory32 || kind == BarKind::Memory64; }
};

constexpr unsigned MAX_BARS = 6;

// How many BARs a header layout has: 6 for a general device (type 0), 2 for a PCI-to-PCI bridge
// (type 1), none for the others (a CardBus bridge's offset 0x10 is its socket register).
unsigned bar_count(nk::u8 header_layout);

// Reads and sizes the BARs of one function into bars[0, bar_count(header_layout)); the rest are
// left None. Sizing writes all ones and reads back which address bits stick (§6.2.5.1), then
// restores the original value; memory and I/O decoding are switched off in the Command register
// meanwhile, so the device never answers at the transient all-ones address. A 64-bit BAR in the
// last slot (no room for its upper half) is malformed and left None.
void decode_bars(ConfigSpace& config, Address address, nk::u8 header_layout, Bar (&bars)[MAX_BARS]);

} // namespace kernel::pci
