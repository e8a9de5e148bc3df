// The PCI device table and the driver binding table. Enumeration walks configuration space from
// bus 0, following PCI-to-PCI bridges to their secondary buses; each driver registered is
// offered every unbound device it matches.
//
// No allocation: both tables are fixed arrays. Used during initialisation (enumerate, then
// drivers register); not synchronised.
#pragma once

#include <kernel/pci/config_space.h>
#include <kernel/pci/device.h>
#include <kernel/pci/driver.h>
#include <nk/result.h>
#include <nk/span.h>
#include <nk/types.h>

namespace kernel::pci {

class Registry {
public:
    static constexpr nk::usize MAX_DEVICES = 64;
    static constexpr nk::usize MAX_DRIVERS = 16;

    constexpr Registry() = default;
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // Replaces the device table with what `config` shows and offers the new devices to the
    // drivers already registered. Bridges must already have their bus numbers assigned (firmware
    // does that on a PC); a bridge whose secondary bus is 0 is not followed, nor is a bus seen
    // before. `config` must outlive the registry.
    void enumerate(ConfigSpace& config);

    nk::Span<PciDevice> devices() { return {m_devices, m_device_count}; }
    nk::Span<const PciDevice> devices() const { return {m_devices, m_device_count}; }
    // Functions found beyond MAX_DEVICES, not recorded.
    nk::usize dropped_devices() const { return m_dropped; }

    // The first match after `after` (null: from the start), so callers can walk all matches.
    PciDevice* find_by_id(nk::u16 vendor, nk::u16 device, const PciDevice* after = nullptr);
    // subclass PciId::ANY matches any subclass of the class.
    PciDevice* find_by_class(nk::u8 class_code, nk::u16 subclass = PciId::ANY,
                             const PciDevice* after = nullptr);

    // Records the driver (which must have static storage) and probes it against every unbound
    // matching device now; devices enumerated later are offered to it too. Error::Exists when
    // already registered, Error::Busy when the table is full, Error::Invalid without a probe.
    nk::ErrorOr register_driver(const PciDriver& driver);
    nk::Span<const PciDriver* const> drivers() const { return {m_drivers, m_driver_count}; }

    // Every device, one line each, in the format of listing.h, each ending in '\n'. Only whole
    // lines are written; the text is NUL-terminated when size > 0. Returns the characters
    // written, without the NUL.
    nk::usize format_listing(char* buffer, nk::usize size) const;

private:
    void scan_bus(ConfigSpace& config, nk::u8 bus, bool (&queued)[256], nk::u8 (&queue)[256],
                  nk::usize& queue_tail);
    void add_function(ConfigSpace& config, Address address);
    void offer(PciDevice& device, const PciDriver& driver);

    PciDevice m_devices[MAX_DEVICES] = {};
    nk::usize m_device_count = 0;
    nk::usize m_dropped = 0;
    const PciDriver* m_drivers[MAX_DRIVERS] = {};
    nk::usize m_driver_count = 0;
};

} // namespace kernel::pci
