#include <arch/x86/pci_config.h>
#include <kernel/pci/listing.h>
#include <kernel/pci/pci.h>

#include <stdio.h>

namespace kernel::pci {

namespace {

class PortConfigSpace final : public ConfigSpace {
public:
    constexpr PortConfigSpace() = default;

    nk::u8 read8(Address a, nk::u8 offset) override {
        return x86::pci_config::read8(a.bus, a.device, a.function, offset);
    }
    nk::u16 read16(Address a, nk::u8 offset) override {
        return x86::pci_config::read16(a.bus, a.device, a.function, offset);
    }
    nk::u32 read32(Address a, nk::u8 offset) override {
        return x86::pci_config::read32(a.bus, a.device, a.function, offset);
    }
    void write8(Address a, nk::u8 offset, nk::u8 value) override {
        x86::pci_config::write8(a.bus, a.device, a.function, offset, value);
    }
    void write16(Address a, nk::u8 offset, nk::u16 value) override {
        x86::pci_config::write16(a.bus, a.device, a.function, offset, value);
    }
    void write32(Address a, nk::u8 offset, nk::u32 value) override {
        x86::pci_config::write32(a.bus, a.device, a.function, offset, value);
    }
};

PortConfigSpace g_config;
Registry g_registry;

} // namespace

Registry& registry() {
    return g_registry;
}

void init() {
    g_registry.enumerate(g_config);
    for (const PciDevice& device : g_registry.devices()) {
        char line[384];
        format_device_line(device, line, sizeof line);
        kprintf("pci: %s\n", line);
    }
    kprintf("pci: %zu functions\n", g_registry.devices().size());
    if (g_registry.dropped_devices())
        kprintf("pci: %zu more functions not recorded (table holds %zu)\n",
                g_registry.dropped_devices(), Registry::MAX_DEVICES);
}

} // namespace kernel::pci
