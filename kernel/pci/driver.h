// A PCI driver as the Registry sees it: a name, the devices it handles and a probe function.
// Drivers (the e1000 and IDE extensions) define one with static storage and register it:
//
//   constexpr PciId E1000_IDS[] = {{0x8086, 0x100e}};
//   const PciDriver E1000_DRIVER = {"e1000", E1000_IDS, e1000_probe};
//   pci::register_driver(E1000_DRIVER);
#pragma once

#include <kernel/pci/device.h>
#include <nk/result.h>
#include <nk/span.h>
#include <nk/types.h>

namespace kernel::pci {

// Matches a device when every field that is not ANY equals the device's.
struct PciId {
    static constexpr nk::u16 ANY = 0xffff;

    nk::u16 vendor = ANY;
    nk::u16 device = ANY;
    nk::u16 class_code = ANY;
    nk::u16 subclass = ANY;

    bool matches(const PciDevice& candidate) const {
        return (vendor == ANY || vendor == candidate.vendor_id()) &&
               (device == ANY || device == candidate.device_id()) &&
               (class_code == ANY || class_code == candidate.class_code()) &&
               (subclass == ANY || subclass == candidate.subclass());
    }
};

struct PciDriver {
    const char* name;
    nk::Span<const PciId> ids;
    // Called once for each unbound device that matches one of `ids`. Success binds the device to
    // this driver; an error leaves it unbound, to be offered to the next matching driver.
    nk::ErrorOr (*probe)(PciDevice& device);

    bool matches(const PciDevice& device) const {
        for (const PciId& id : ids) {
            if (id.matches(device))
                return true;
        }
        return false;
    }
};

} // namespace kernel::pci
