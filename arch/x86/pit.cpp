// Ports and modes: Intel 8254 datasheet; channel 2's gate and output are wired to port 0x61
// bits 0 and 5 on PC-compatibles.
#include <arch/x86/cpu.h>
#include <arch/x86/pit.h>

namespace x86::pit {

namespace {
constexpr nk::u16 CHANNEL0 = 0x40;
constexpr nk::u16 CHANNEL2 = 0x42;
constexpr nk::u16 COMMAND = 0x43;
constexpr nk::u16 PORT_B = 0x61;

// Command byte: channel (bits 7-6), access lobyte/hibyte (bits 5-4 = 11), mode (bits 3-1).
constexpr nk::u8 CH0_LOHI_MODE2 = 0x34;
constexpr nk::u8 CH2_LOHI_MODE0 = 0xb0;
constexpr nk::u8 PORT_B_GATE2 = 0x01;
constexpr nk::u8 PORT_B_SPEAKER = 0x02;
constexpr nk::u8 PORT_B_OUT2 = 0x20;
} // namespace

nk::u64 start_periodic(nk::u32 hz) {
    nk::u32 divisor = (INPUT_HZ + hz / 2) / hz;
    if (divisor > 0xffff)
        divisor = 0xffff;
    if (divisor < 1)
        divisor = 1;
    outb(COMMAND, CH0_LOHI_MODE2);
    outb(CHANNEL0, nk::u8(divisor));
    outb(CHANNEL0, nk::u8(divisor >> 8));
    return nk::u64(INPUT_HZ) * 1000 / divisor;
}

nk::u64 measure_tsc_over(nk::u32 microseconds) {
    if (microseconds > 50000)
        microseconds = 50000;
    nk::u32 count = nk::u32(nk::u64(INPUT_HZ) * microseconds / 1000000);
    // Gate low, speaker off, program mode 0 (output goes high when the count reaches zero).
    nk::u8 port_b = inb(PORT_B);
    outb(PORT_B, nk::u8((port_b & ~PORT_B_SPEAKER) & ~PORT_B_GATE2));
    outb(COMMAND, CH2_LOHI_MODE0);
    outb(CHANNEL2, nk::u8(count));
    outb(CHANNEL2, nk::u8(count >> 8));
    // Raising the gate starts the count.
    outb(PORT_B, nk::u8((port_b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
    nk::u64 start = rdtsc();
    // Bounded: ~2^28 polls is far beyond 50 ms on any emulator; a broken PIT yields 0.
    for (nk::u32 spins = 0; !(inb(PORT_B) & PORT_B_OUT2); ++spins) {
        if (spins > (1u << 28))
            return 0;
    }
    nk::u64 end = rdtsc();
    outb(PORT_B, port_b);
    return end - start;
}

} // namespace x86::pit
