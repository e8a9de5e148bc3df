// One PCI function as found by enumeration: its identity, interrupt routing and decoded BARs,
// plus the configuration accesses a driver needs (PCI Local Bus Specification 3.0, §6.2).
#pragma once

#include <kernel/pci/bar.h>
#include <kernel/pci/config_registers.h>
#include <kernel/pci/config_space.h>
#include <nk/types.h>

namespace kernel::pci {

struct PciDriver;

class PciDevice {
public:
    // An empty slot; read_from() makes a real one.
    constexpr PciDevice() = default;

    // Reads the header of the function at `address`, which must answer (vendor != 0xffff), and
    // sizes its BARs (see decode_bars). `config` must outlive the device.
    static PciDevice read_from(ConfigSpace& config, Address address);

    Address address() const { return m_address; }
    nk::u16 vendor_id() const { return m_vendor_id; }
    nk::u16 device_id() const { return m_device_id; }
    nk::u8 class_code() const { return m_class_code; }
    nk::u8 subclass() const { return m_subclass; }
    nk::u8 prog_if() const { return m_prog_if; }
    nk::u8 revision() const { return m_revision; }
    // The header layout (0 general, 1 PCI-to-PCI bridge, 2 CardBus), without the
    // multi-function bit.
    nk::u8 header_type() const { return m_header_type; }
    bool is_multi_function() const { return m_multi_function; }
    bool is_bridge() const;
    // The 8259 input firmware routed INTx# to (0xff: not routed), and the pin: 0 none, 1-4
    // INTA#-INTD# (§6.2.4).
    nk::u8 interrupt_line() const { return m_interrupt_line; }
    nk::u8 interrupt_pin() const { return m_interrupt_pin; }
    bool uses_interrupt() const { return m_interrupt_pin != 0 && m_interrupt_line != 0xff; }

    // index < MAX_BARS; the BARs a header type lacks are None.
    const Bar& bar(unsigned index) const { return m_bars[index]; }

    // The driver bound by the Registry, or null.
    const PciDriver* driver() const { return m_driver; }
    void set_driver(const PciDriver* driver) { m_driver = driver; }

    // Command register bits (§6.2.2). Drivers enable what they use before touching the device;
    // bus mastering is what lets the device DMA, so recovery turns it off for a failed driver.
    void enable_io_space() { set_command_bits(reg::COMMAND_IO_SPACE, true); }
    void enable_memory_space() { set_command_bits(reg::COMMAND_MEMORY_SPACE, true); }
    void enable_bus_mastering() { set_command_bits(reg::COMMAND_BUS_MASTER, true); }
    void disable_bus_mastering() { set_command_bits(reg::COMMAND_BUS_MASTER, false); }
    // Interrupt Disable (§6.2.2, bit 10): the function stops asserting INTx.
    void disable_interrupts() { set_command_bits(reg::COMMAND_INTERRUPT_DISABLE, true); }
    void enable_interrupts() { set_command_bits(reg::COMMAND_INTERRUPT_DISABLE, false); }
    nk::u16 command() const;

    nk::u8 read8(nk::u8 offset) const { return m_config->read8(m_address, offset); }
    nk::u16 read16(nk::u8 offset) const { return m_config->read16(m_address, offset); }
    nk::u32 read32(nk::u8 offset) const { return m_config->read32(m_address, offset); }
    void write8(nk::u8 offset, nk::u8 value) { m_config->write8(m_address, offset, value); }
    void write16(nk::u8 offset, nk::u16 value) { m_config->write16(m_address, offset, value); }
    void write32(nk::u8 offset, nk::u32 value) { m_config->write32(m_address, offset, value); }

private:
    void set_command_bits(nk::u16 bits, bool on);

    ConfigSpace* m_config = nullptr;
    Address m_address = {};
    nk::u16 m_vendor_id = 0;
    nk::u16 m_device_id = 0;
    nk::u8 m_class_code = 0;
    nk::u8 m_subclass = 0;
    nk::u8 m_prog_if = 0;
    nk::u8 m_revision = 0;
    nk::u8 m_header_type = 0;
    bool m_multi_function = false;
    nk::u8 m_interrupt_line = 0xff;
    nk::u8 m_interrupt_pin = 0;
    Bar m_bars[MAX_BARS] = {};
    const PciDriver* m_driver = nullptr;
};

} // namespace kernel::pci
