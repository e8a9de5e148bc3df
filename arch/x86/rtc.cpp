#include <arch/x86/cpu.h>
#include <arch/x86/rtc.h>

namespace x86::rtc {

namespace {
constexpr nk::u16 INDEX = 0x70;
constexpr nk::u16 DATA = 0x71;
// Bit 7 of the index port disables NMIs from the chipset while the CMOS is addressed.
constexpr nk::u8 NMI_DISABLE = 0x80;
constexpr nk::u8 REGISTER_A = 0x0a;
constexpr nk::u8 REGISTER_B = 0x0b;
constexpr nk::u8 REGISTER_C = 0x0c;
constexpr nk::u8 B_PERIODIC_INTERRUPT = 0x40;

nk::u8 read(nk::u8 index) {
    outb(INDEX, NMI_DISABLE | index);
    return inb(DATA);
}

void write(nk::u8 index, nk::u8 value) {
    outb(INDEX, NMI_DISABLE | index);
    outb(DATA, value);
}
} // namespace

void start_periodic(unsigned rate) {
    InterruptGuard guard;
    write(REGISTER_A, nk::u8((read(REGISTER_A) & 0xf0) | (rate & 0x0f)));
    write(REGISTER_B, read(REGISTER_B) | B_PERIODIC_INTERRUPT);
    (void)read(REGISTER_C);
    outb(INDEX, REGISTER_C); // leave NMIs enabled
}

void acknowledge() {
    (void)read(REGISTER_C);
    outb(INDEX, REGISTER_C);
}

} // namespace x86::rtc
