#include <kernel/pci/device.h>

namespace kernel::pci {

PciDevice PciDevice::read_from(ConfigSpace& config, Address address) {
    PciDevice device;
    device.m_config = &config;
    device.m_address = address;
    device.m_vendor_id = config.read16(address, reg::VENDOR_ID);
    device.m_device_id = config.read16(address, reg::DEVICE_ID);
    device.m_revision = config.read8(address, reg::REVISION_ID);
    device.m_prog_if = config.read8(address, reg::PROG_IF);
    device.m_subclass = config.read8(address, reg::SUBCLASS);
    device.m_class_code = config.read8(address, reg::CLASS_CODE);
    nk::u8 header = config.read8(address, reg::HEADER_TYPE);
    device.m_header_type = header & reg::HEADER_LAYOUT_MASK;
    device.m_multi_function = header & reg::HEADER_MULTI_FUNCTION;
    // Interrupt Line/Pin sit at 0x3c/0x3d in all three header layouts.
    device.m_interrupt_line = config.read8(address, reg::INTERRUPT_LINE);
    device.m_interrupt_pin = config.read8(address, reg::INTERRUPT_PIN);
    decode_bars(config, address, device.m_header_type, device.m_bars);
    return device;
}

bool PciDevice::is_bridge() const {
    return m_header_type == reg::HEADER_BRIDGE;
}

nk::u16 PciDevice::command() const {
    return read16(reg::COMMAND);
}

void PciDevice::set_command_bits(nk::u16 bits, bool on) {
    nk::u16 command = read16(reg::COMMAND);
    nk::u16 updated = on ? nk::u16(command | bits) : nk::u16(command & ~bits);
    if (updated != command)
        write16(reg::COMMAND, updated);
}

} // namespace kernel::pci
