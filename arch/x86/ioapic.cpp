#include <arch/x86/ioapic.h>

namespace x86::ioapic {

namespace {

// Indirect register access: IOREGSEL at offset 0, IOWIN at offset 0x10 (datasheet 3.1).
constexpr unsigned IOREGSEL = 0;
constexpr unsigned IOWIN = 0x10 / 4;
constexpr nk::u32 IOAPICVER = 0x01;
constexpr nk::u32 IOREDTBL = 0x10; // two 32-bit registers per pin
// Redirection entry bits (datasheet 3.2.4): delivery mode 100b = NMI, bit 16 = mask.
constexpr nk::u32 DELIVERY_NMI = 4u << 8;
constexpr nk::u32 MASKED = 1u << 16;

volatile nk::u32* g_registers = nullptr;
unsigned g_pins = 0;

nk::u32 read(nk::u32 index) {
    g_registers[IOREGSEL] = index;
    return g_registers[IOWIN];
}

void write(nk::u32 index, nk::u32 value) {
    g_registers[IOREGSEL] = index;
    g_registers[IOWIN] = value;
}

} // namespace

void init(volatile nk::u32* registers) {
    g_registers = registers;
    nk::u32 version = read(IOAPICVER);
    // Bits 16-23: the highest redirection entry. All ones means nothing answered.
    g_pins = version == 0xffffffff ? 0 : ((version >> 16) & 0xff) + 1;
    if (g_pins == 0)
        g_registers = nullptr;
}

bool present() {
    return g_registers != nullptr;
}

void route_as_nmi(unsigned pin) {
    if (!present() || pin >= g_pins)
        return;
    write(IOREDTBL + 2 * pin + 1, 0); // destination: APIC ID 0
    write(IOREDTBL + 2 * pin, DELIVERY_NMI);
}

void mask(unsigned pin) {
    if (!present() || pin >= g_pins)
        return;
    write(IOREDTBL + 2 * pin, MASKED);
}

} // namespace x86::ioapic
