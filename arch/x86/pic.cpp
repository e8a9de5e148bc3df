// Programming sequence: Intel 8259A datasheet, "Initialization Command Words" (ICW1-ICW4) and
// "Operation Command Words" (OCW2 for EOI, OCW3 to read the ISR).
#include <arch/x86/cpu.h>
#include <arch/x86/pic.h>

namespace x86::pic {

namespace {
constexpr nk::u16 MASTER_COMMAND = 0x20;
constexpr nk::u16 MASTER_DATA = 0x21;
constexpr nk::u16 SLAVE_COMMAND = 0xa0;
constexpr nk::u16 SLAVE_DATA = 0xa1;

constexpr nk::u8 ICW1_INIT_WITH_ICW4 = 0x11;
constexpr nk::u8 ICW4_8086 = 0x01;
constexpr nk::u8 OCW2_EOI = 0x20;
constexpr nk::u8 OCW3_READ_ISR = 0x0b;
constexpr nk::u8 CASCADE_IRQ = 2;
constexpr nk::u8 VECTOR_BASE = 32;

nk::u16 g_mask = 0xffff;

void write_mask() {
    outb(MASTER_DATA, nk::u8(g_mask));
    outb(SLAVE_DATA, nk::u8(g_mask >> 8));
}
} // namespace

void init() {
    outb(MASTER_COMMAND, ICW1_INIT_WITH_ICW4);
    io_wait();
    outb(SLAVE_COMMAND, ICW1_INIT_WITH_ICW4);
    io_wait();
    outb(MASTER_DATA, VECTOR_BASE); // ICW2: vector offset
    io_wait();
    outb(SLAVE_DATA, VECTOR_BASE + 8);
    io_wait();
    outb(MASTER_DATA, 1 << CASCADE_IRQ); // ICW3: slave on IRQ2
    io_wait();
    outb(SLAVE_DATA, CASCADE_IRQ); // ICW3: slave identity
    io_wait();
    outb(MASTER_DATA, ICW4_8086);
    io_wait();
    outb(SLAVE_DATA, ICW4_8086);
    io_wait();
    // Everything masked except the cascade line, so slave IRQs can pass once unmasked.
    g_mask = nk::u16(0xffff & ~(1 << CASCADE_IRQ));
    write_mask();
}

void unmask(nk::u8 irq) {
    g_mask &= nk::u16(~(1u << irq));
    write_mask();
}

void mask(nk::u8 irq) {
    g_mask |= nk::u16(1u << irq);
    write_mask();
}

void end_of_interrupt(nk::u8 irq) {
    if (irq >= 8)
        outb(SLAVE_COMMAND, OCW2_EOI);
    outb(MASTER_COMMAND, OCW2_EOI);
}

bool is_spurious(nk::u8 irq) {
    if (irq != 7 && irq != 15)
        return false;
    nk::u16 port = irq == 7 ? MASTER_COMMAND : SLAVE_COMMAND;
    outb(port, OCW3_READ_ISR);
    bool in_service = inb(port) & 0x80;
    if (in_service)
        return false;
    // A spurious IRQ 15 still went through the master's cascade line, which needs its EOI.
    if (irq == 15)
        outb(MASTER_COMMAND, OCW2_EOI);
    return true;
}

} // namespace x86::pic
