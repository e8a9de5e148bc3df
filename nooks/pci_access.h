// PCI devices for extensions: claiming (one extension per device), BARs, the interrupt line,
// enabling. Shared by the native and the isolated implementations of the API.
#pragma once

#include <kernel/pci/device.h>
#include <nk/result.h>
#include <nooks/kernel_api.h>

namespace nooks {

// The first unclaimed device with this vendor:device. Error::NoDevice when there is none,
// Error::Busy when every match is claimed already.
nk::Result<kernel::pci::PciDevice*> claim_pci_device(nk::u16 vendor, nk::u16 device);
// Gives the device up: bus mastering off first, so it stops writing memory.
void release_pci_device(kernel::pci::PciDevice& device);
nk_status pci_bar(const kernel::pci::PciDevice& device, unsigned index, nk_pci_bar* out);
nk_status pci_irq_line(const kernel::pci::PciDevice& device);
void pci_enable(kernel::pci::PciDevice& device);
// Whether [port, port + width) belongs to the device: one of its I/O BARs, or the legacy ATA
// ports when it is an IDE controller (class 01h, subclass 01h) — QEMU's PIIX decodes those
// without BARs (compatibility mode).
bool device_owns_ports(const kernel::pci::PciDevice& device, nk::u16 port, unsigned width);
// Calls visit(first, count) for each of those port ranges.
void for_each_port_range(const kernel::pci::PciDevice& device,
                         void (*visit)(nk::u16 first, nk::u32 count, void* context), void* context);

} // namespace nooks
