// Leaving the machine: QEMU's isa-debug-exit device for test verdicts, ACPI power-off, reset.
#pragma once

#include <nk/types.h>

namespace x86::machine {

// Values written to isa-debug-exit (iobase 0xf4). QEMU exits with status (value << 1) | 1, so
// these surface as 33, 35 and 37; a clean ACPI power-off exits with 0.
enum class ExitCode : nk::u8 {
    Success = 0x10, // 33: self tests passed
    Failure = 0x11, // 35: self tests failed
    Panic = 0x12,   // 37: kernel panic
};

// Writes the code to isa-debug-exit; when the device is absent (real hardware, Bochs) it falls
// back to power_off(), then halts.
[[noreturn]] void exit_emulator(ExitCode code);
// ACPI S5 on QEMU's PIIX4 and Bochs, then halts if still running.
[[noreturn]] void power_off();
// 8042 reset line, then a triple fault.
[[noreturn]] void reboot();

} // namespace x86::machine
