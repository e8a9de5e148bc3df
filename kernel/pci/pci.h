// The machine's PCI bus: one Registry over configuration mechanism #1 (arch/x86/pci_config).
// init() enumerates; drivers then register through register_driver() and are probed at once.
// The logic lives in registry.cpp and friends, which host tests run on a fake ConfigSpace.
#pragma once

#include <kernel/pci/device.h>
#include <kernel/pci/driver.h>
#include <kernel/pci/registry.h>
#include <nk/result.h>
#include <nk/types.h>

namespace kernel::pci {

// Enumerates every bus and prints one "pci: <listing line>" per device on the console.
void init();

Registry& registry();

inline nk::ErrorOr register_driver(const PciDriver& driver) {
    return registry().register_driver(driver);
}
inline PciDevice* find_by_id(nk::u16 vendor, nk::u16 device, const PciDevice* after = nullptr) {
    return registry().find_by_id(vendor, device, after);
}
inline PciDevice* find_by_class(nk::u8 class_code, nk::u16 subclass = PciId::ANY,
                                const PciDevice* after = nullptr) {
    return registry().find_by_class(class_code, subclass, after);
}
// What `lspci` shows (InfoKind::Pci); see Registry::format_listing.
inline nk::usize format_listing(char* buffer, nk::usize size) {
    return registry().format_listing(buffer, size);
}

} // namespace kernel::pci
