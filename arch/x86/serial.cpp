// 16550 UART register programming. Register offsets and bits: National Semiconductor PC16550D
// datasheet, section 8 ("Registers").
#include <arch/x86/cpu.h>
#include <arch/x86/serial.h>

namespace x86::serial {

namespace {

constexpr nk::u16 COM1 = 0x3f8;
// Offsets from the base port.
constexpr nk::u16 RBR_THR = 0; // receive buffer / transmit holding (DLAB=0)
constexpr nk::u16 IER = 1;     // interrupt enable (DLAB=0)
constexpr nk::u16 DLL = 0;     // divisor latch low (DLAB=1)
constexpr nk::u16 DLM = 1;     // divisor latch high (DLAB=1)
constexpr nk::u16 FCR = 2;     // FIFO control
constexpr nk::u16 LCR = 3;     // line control
constexpr nk::u16 MCR = 4;     // modem control
constexpr nk::u16 LSR = 5;     // line status

constexpr nk::u8 LCR_8N1 = 0x03;
constexpr nk::u8 LCR_DLAB = 0x80;
constexpr nk::u8 FCR_ENABLE_CLEAR_14 = 0xc7; // enable, clear both FIFOs, 14-byte trigger
constexpr nk::u8 MCR_DTR_RTS_OUT2 = 0x0b;    // OUT2 gates the IRQ line on PCs
constexpr nk::u8 MCR_LOOPBACK = 0x10;
constexpr nk::u8 LSR_DATA_READY = 0x01;
constexpr nk::u8 LSR_THR_EMPTY = 0x20;
constexpr nk::u8 IER_RECEIVED_DATA = 0x01;

bool g_present = false;

} // namespace

bool init() {
    outb(COM1 + IER, 0);
    outb(COM1 + LCR, LCR_DLAB);
    outb(COM1 + DLL, 1); // 115200 / 1
    outb(COM1 + DLM, 0);
    outb(COM1 + LCR, LCR_8N1);
    outb(COM1 + FCR, FCR_ENABLE_CLEAR_14);
    // Loopback self-test: a byte written must come back.
    outb(COM1 + MCR, MCR_LOOPBACK | 0x0e);
    outb(COM1 + RBR_THR, 0xa5);
    if (inb(COM1 + RBR_THR) != 0xa5) {
        g_present = false;
        return false;
    }
    outb(COM1 + MCR, MCR_DTR_RTS_OUT2);
    g_present = true;
    return true;
}

void write_byte(nk::u8 byte) {
    if (!g_present)
        return;
    // Bounded wait: a wedged UART must not hang the kernel's console.
    for (int spins = 0; spins < 100000 && !(inb(COM1 + LSR) & LSR_THR_EMPTY); ++spins)
        pause();
    outb(COM1 + RBR_THR, byte);
}

void write(const char* data, nk::usize length) {
    for (nk::usize i = 0; i < length; ++i) {
        if (data[i] == '\n')
            write_byte('\r');
        write_byte(nk::u8(data[i]));
    }
}

int try_read_byte() {
    if (!g_present || !(inb(COM1 + LSR) & LSR_DATA_READY))
        return -1;
    return inb(COM1 + RBR_THR);
}

void enable_receive_interrupt() {
    if (g_present)
        outb(COM1 + IER, IER_RECEIVED_DATA);
}

} // namespace x86::serial
