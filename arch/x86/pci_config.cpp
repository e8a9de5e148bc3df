// CONFIG_ADDRESS layout (PCI Local Bus Specification 3.0, §3.2.2.3.2, figure 3-2):
//   bit 31 enable, bits 23:16 bus, 15:11 device, 10:8 function, 7:2 register (dword), 1:0 zero.
// CONFIG_DATA then carries that dword; byte and word accesses address its bytes by using
// 0xcfc + (offset & 3) as the port.
#include <arch/x86/cpu.h>
#include <arch/x86/interrupt_state.h>
#include <arch/x86/pci_config.h>

namespace x86::pci_config {

namespace {

constexpr nk::u16 CONFIG_ADDRESS = 0xcf8;
constexpr nk::u16 CONFIG_DATA = 0xcfc;
constexpr nk::u32 CONFIG_ADDRESS_ENABLE = 1u << 31;

nk::u32 config_address(nk::u8 bus, nk::u8 device, nk::u8 function, nk::u8 offset) {
    return CONFIG_ADDRESS_ENABLE | (nk::u32(bus) << 16) | (nk::u32(device & 0x1f) << 11) |
           (nk::u32(function & 0x07) << 8) | (offset & 0xfc);
}

} // namespace

nk::u8 read8(nk::u8 bus, nk::u8 device, nk::u8 function, nk::u8 offset) {
    InterruptGuard guard;
    outl(CONFIG_ADDRESS, config_address(bus, device, function, offset));
    return inb(nk::u16(CONFIG_DATA + (offset & 3)));
}

nk::u16 read16(nk::u8 bus, nk::u8 device, nk::u8 function, nk::u8 offset) {
    InterruptGuard guard;
    outl(CONFIG_ADDRESS, config_address(bus, device, function, offset));
    return inw(nk::u16(CONFIG_DATA + (offset & 2)));
}

nk::u32 read32(nk::u8 bus, nk::u8 device, nk::u8 function, nk::u8 offset) {
    InterruptGuard guard;
    outl(CONFIG_ADDRESS, config_address(bus, device, function, offset));
    return inl(CONFIG_DATA);
}

void write8(nk::u8 bus, nk::u8 device, nk::u8 function, nk::u8 offset, nk::u8 value) {
    InterruptGuard guard;
    outl(CONFIG_ADDRESS, config_address(bus, device, function, offset));
    outb(nk::u16(CONFIG_DATA + (offset & 3)), value);
}

void write16(nk::u8 bus, nk::u8 device, nk::u8 function, nk::u8 offset, nk::u16 value) {
    InterruptGuard guard;
    outl(CONFIG_ADDRESS, config_address(bus, device, function, offset));
    outw(nk::u16(CONFIG_DATA + (offset & 2)), value);
}

void write32(nk::u8 bus, nk::u8 device, nk::u8 function, nk::u8 offset, nk::u32 value) {
    InterruptGuard guard;
    outl(CONFIG_ADDRESS, config_address(bus, device, function, offset));
    outl(CONFIG_DATA, value);
}

} // namespace x86::pci_config
