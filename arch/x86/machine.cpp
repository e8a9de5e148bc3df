#include <arch/x86/cpu.h>
#include <arch/x86/machine.h>

namespace x86::machine {

namespace {
constexpr nk::u16 DEBUG_EXIT_PORT = 0xf4;
// SeaBIOS places the PIIX4 PM I/O block at 0x600: PM1a_CNT is at +4; SLP_TYPa=0 (S5 in QEMU's
// DSDT) with SLP_EN (bit 13) powers off. Bochs' BIOS uses 0xb004 for the same register.
constexpr nk::u16 QEMU_PM1A_CNT = 0x604;
constexpr nk::u16 BOCHS_PM1A_CNT = 0xb004;
constexpr nk::u16 SLP_EN = 1 << 13;
// Bochs' "shutdown" port: writing the string "Shutdown" stops the simulation.
constexpr nk::u16 BOCHS_SHUTDOWN_PORT = 0x8900;
} // namespace

void exit_emulator(ExitCode code) {
    outb(DEBUG_EXIT_PORT, nk::u8(code));
    power_off();
}

void power_off() {
    outw(QEMU_PM1A_CNT, SLP_EN);
    outw(BOCHS_PM1A_CNT, SLP_EN);
    for (const char* c = "Shutdown"; *c; ++c)
        outb(BOCHS_SHUTDOWN_PORT, nk::u8(*c));
    halt_forever();
}

void reboot() {
    disable_interrupts();
    // 8042: wait for an empty input buffer, then pulse the CPU reset line (command 0xfe).
    for (int i = 0; i < 100000 && (inb(0x64) & 0x02); ++i)
        pause();
    outb(0x64, 0xfe);
    // Fallback: load an empty IDT and fault — a triple fault resets the CPU.
    struct [[gnu::packed]] {
        nk::u16 limit;
        nk::u64 base;
    } empty_idt = {0, 0};
    asm volatile("lidt %0; int3" ::"m"(empty_idt));
    halt_forever();
}

} // namespace x86::machine
