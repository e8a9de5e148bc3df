#include <kernel/pci/config_registers.h>
#include <kernel/pci/listing.h>
#include <kernel/pci/registry.h>

#include <string.h>

namespace kernel::pci {

namespace {

// A function that does not exist reads as all ones (§6.2.1: 0xffff is not a valid vendor ID);
// 0x0000 is not assigned either and some chipsets return it for absent functions.
bool function_present(ConfigSpace& config, Address address) {
    nk::u16 vendor = config.read16(address, reg::VENDOR_ID);
    return vendor != reg::VENDOR_NONE && vendor != 0x0000;
}

} // namespace

void Registry::enumerate(ConfigSpace& config) {
    for (nk::usize i = 0; i < m_device_count; ++i)
        m_devices[i] = PciDevice();
    m_device_count = 0;
    m_dropped = 0;

    // Breadth first from bus 0. Each bus is scanned once even if a (misconfigured) bridge points
    // back at one already seen, so the walk ends after at most 256 buses.
    bool queued[256] = {};
    nk::u8 queue[256];
    nk::usize head = 0;
    nk::usize tail = 0;
    queue[tail++] = 0;
    queued[0] = true;
    while (head < tail)
        scan_bus(config, queue[head++], queued, queue, tail);

    for (nk::usize i = 0; i < m_device_count; ++i) {
        for (nk::usize d = 0; d < m_driver_count && !m_devices[i].driver(); ++d)
            offer(m_devices[i], *m_drivers[d]);
    }
}

void Registry::scan_bus(ConfigSpace& config, nk::u8 bus, bool (&queued)[256], nk::u8 (&queue)[256],
                        nk::usize& queue_tail) {
    for (unsigned device = 0; device < DEVICES_PER_BUS; ++device) {
        Address address{bus, nk::u8(device), 0};
        // Function 0 is mandatory; without it the device slot is empty (§6.2.1).
        if (!function_present(config, address))
            continue;
        // Header Type bit 7 says whether functions 1-7 may exist (§6.2.1); probing them on a
        // single-function device can return aliases of function 0.
        bool multi_function = config.read8(address, reg::HEADER_TYPE) & reg::HEADER_MULTI_FUNCTION;
        unsigned functions = multi_function ? FUNCTIONS_PER_DEVICE : 1;
        for (unsigned function = 0; function < functions; ++function) {
            address.function = nk::u8(function);
            if (!function_present(config, address))
                continue;
            add_function(config, address);
            nk::u8 layout = config.read8(address, reg::HEADER_TYPE) & reg::HEADER_LAYOUT_MASK;
            if (layout != reg::HEADER_BRIDGE)
                continue;
            // PCI-to-PCI Bridge Architecture Specification 1.2, §3.2.5.3: the bus directly
            // behind the bridge. 0 means firmware left the bridge unconfigured.
            nk::u8 secondary = config.read8(address, reg::SECONDARY_BUS);
            if (secondary != 0 && !queued[secondary]) {
                queued[secondary] = true;
                queue[queue_tail++] = secondary;
            }
        }
    }
}

void Registry::add_function(ConfigSpace& config, Address address) {
    if (m_device_count == MAX_DEVICES) {
        ++m_dropped;
        return;
    }
    m_devices[m_device_count++] = PciDevice::read_from(config, address);
}

void Registry::offer(PciDevice& device, const PciDriver& driver) {
    if (device.driver() || !driver.matches(device))
        return;
    if (driver.probe(device).has_value())
        device.set_driver(&driver);
}

PciDevice* Registry::find_by_id(nk::u16 vendor, nk::u16 device, const PciDevice* after) {
    nk::usize start = after ? nk::usize(after - m_devices) + 1 : 0;
    for (nk::usize i = start; i < m_device_count; ++i) {
        if (m_devices[i].vendor_id() == vendor && m_devices[i].device_id() == device)
            return &m_devices[i];
    }
    return nullptr;
}

PciDevice* Registry::find_by_class(nk::u8 class_code, nk::u16 subclass, const PciDevice* after) {
    nk::usize start = after ? nk::usize(after - m_devices) + 1 : 0;
    for (nk::usize i = start; i < m_device_count; ++i) {
        if (m_devices[i].class_code() == class_code &&
            (subclass == PciId::ANY || m_devices[i].subclass() == subclass))
            return &m_devices[i];
    }
    return nullptr;
}

nk::ErrorOr Registry::register_driver(const PciDriver& driver) {
    if (!driver.probe)
        return nk::Error::Invalid;
    for (nk::usize d = 0; d < m_driver_count; ++d) {
        if (m_drivers[d] == &driver)
            return nk::Error::Exists;
    }
    if (m_driver_count == MAX_DRIVERS)
        return nk::Error::Busy;
    m_drivers[m_driver_count++] = &driver;
    for (nk::usize i = 0; i < m_device_count; ++i)
        offer(m_devices[i], driver);
    return {};
}

nk::usize Registry::format_listing(char* buffer, nk::usize size) const {
    if (size == 0)
        return 0;
    buffer[0] = '\0';
    nk::usize length = 0;
    for (nk::usize i = 0; i < m_device_count; ++i) {
        // Long enough for the longest line: six 64-bit BARs with every field at its widest.
        char line[384];
        nk::usize line_length = format_device_line(m_devices[i], line, sizeof line);
        if (line_length >= sizeof line || length + line_length + 1 >= size)
            break;
        memcpy(buffer + length, line, line_length);
        length += line_length;
        buffer[length++] = '\n';
        buffer[length] = '\0';
    }
    return length;
}

} // namespace kernel::pci
