#include <arch/x86/interrupt_state.h>
#include <kernel/pci/driver.h>
#include <kernel/pci/pci.h>
#include <nooks/pci_access.h>

namespace nooks {

namespace {
// Devices claimed by extensions are bound to this pseudo-driver, so the PCI registry (lspci,
// other drivers) sees them as taken.
const kernel::pci::PciDriver g_extension_claim = {"nooks extension", {}, nullptr};
} // namespace

nk::Result<kernel::pci::PciDevice*> claim_pci_device(nk::u16 vendor, nk::u16 device) {
    x86::InterruptGuard guard;
    bool any = false;
    for (auto* found = kernel::pci::find_by_id(vendor, device); found;
         found = kernel::pci::find_by_id(vendor, device, found)) {
        any = true;
        if (found->driver())
            continue;
        found->set_driver(&g_extension_claim);
        return found;
    }
    return any ? nk::Error::Busy : nk::Error::NoDevice;
}

void release_pci_device(kernel::pci::PciDevice& device) {
    // No DMA and no interrupts from a device whose driver is gone (or failed): a device left
    // asserting its line would storm until the next driver enables it again.
    device.disable_bus_mastering();
    device.disable_interrupts();
    x86::InterruptGuard guard;
    if (device.driver() == &g_extension_claim)
        device.set_driver(nullptr);
}

nk_status pci_bar(const kernel::pci::PciDevice& device, unsigned index, nk_pci_bar* out) {
    if (index >= kernel::pci::MAX_BARS)
        return -NK_EINVAL;
    const auto& bar = device.bar(index);
    if (!bar.is_present())
        return -NK_ENOENT;
    *out = {bar.address, bar.size, bar.is_io() ? 1u : 0u, 0};
    return 0;
}

nk_status pci_irq_line(const kernel::pci::PciDevice& device) {
    return device.uses_interrupt() ? device.interrupt_line() : -NK_ENODEV;
}

void pci_enable(kernel::pci::PciDevice& device) {
    device.enable_memory_space();
    device.enable_io_space();
    device.enable_bus_mastering();
    device.enable_interrupts();
}

void for_each_port_range(const kernel::pci::PciDevice& device,
                         void (*visit)(nk::u16 first, nk::u32 count, void* context),
                         void* context) {
    for (unsigned i = 0; i < kernel::pci::MAX_BARS; ++i) {
        const auto& bar = device.bar(i);
        if (bar.is_io() && bar.size && bar.address < 0x10000)
            visit(nk::u16(bar.address), nk::u32(nk::min<nk::u64>(bar.size, 0x10000 - bar.address)),
                  context);
    }
    if (device.class_code() == 0x01 && device.subclass() == 0x01) {
        struct Range {
            nk::u16 first, last;
        };
        constexpr Range legacy[] = {{0x1f0, 0x1f7}, {0x3f6, 0x3f6}, {0x170, 0x177}, {0x376, 0x376}};
        for (const auto& range : legacy)
            visit(range.first, nk::u32(range.last - range.first + 1), context);
    }
}

bool device_owns_ports(const kernel::pci::PciDevice& device, nk::u16 port, unsigned width) {
    struct Query {
        nk::u64 first, last;
        bool owned;
    } query = {port, nk::u64(port) + width - 1, false};
    for_each_port_range(
        device,
        [](nk::u16 first, nk::u32 count, void* context) {
            auto& query = *static_cast<Query*>(context);
            query.owned = query.owned || (query.first >= first && query.last < first + count);
        },
        &query);
    return query.owned;
}

} // namespace nooks
