// lspci-style text for one device. The format is stable (the shell's `lspci` and boot tests read
// it); fields are separated by single spaces:
//
//   BB:DD.F VVVV:DDDD <class name> (rev RR)[ irq N][ barI <kind> 0xADDRESS SIZE[ pref]]...
//
//   BB:DD.F     bus, device (two hex digits), function (one digit)
//   VVVV:DDDD   vendor and device ID, four lowercase hex digits each
//   class name  class_name(class, subclass), e.g. "Ethernet controller"
//   rev RR      revision ID, two hex digits
//   irq N       the routed interrupt line in decimal; absent when the function has no interrupt
//               pin or firmware left the line unrouted (0xff)
//   barI        one group per implemented BAR, I its index; <kind> is io, mem (32-bit) or mem64;
//               the address in lowercase hex without padding; the size in bytes, written with a
//               K, M or G suffix when it is a whole multiple of one; " pref" for prefetchable
//               memory
//
// Example: 00:03.0 8086:100e Ethernet controller (rev 03) irq 11 bar0 mem 0xfebc0000 128K
//          bar1 io 0xc000 64
// (one line; wrapped here).
#pragma once

#include <kernel/pci/device.h>
#include <nk/types.h>

namespace kernel::pci {

// snprintf semantics: writes at most size - 1 characters plus a NUL (when size > 0), no newline,
// and returns the length the whole line has.
nk::usize format_device_line(const PciDevice& device, char* buffer, nk::usize size);

} // namespace kernel::pci
