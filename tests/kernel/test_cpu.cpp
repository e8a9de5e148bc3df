// In-kernel tests of the CPU set-up: descriptor tables, interrupt dispatch, protection features.
#include <arch/x86/cpu_features.h>
#include <arch/x86/idt.h>
#include <arch/x86/interrupt_state.h>
#include <arch/x86/mmu.h>
#include <kernel/debug/panic.h>
#include <kernel/test/ktest.h>
#include <kernel/time/clock.h>

#include <stdio.h>
#include <string.h>

namespace {
volatile int g_breakpoints = 0;
volatile nk::u64 g_breakpoint_vector = 0;

void on_breakpoint(x86::InterruptFrame& frame) {
    g_breakpoints = g_breakpoints + 1;
    g_breakpoint_vector = frame.vector;
}
} // namespace

KTEST(cpu_exception_dispatch_returns) {
    // int3 is a trap: the handler runs and execution continues after the instruction.
    x86::set_interrupt_handler(x86::vector::Breakpoint, on_breakpoint);
    asm volatile("int3");
    asm volatile("int3");
    x86::set_interrupt_handler(x86::vector::Breakpoint, nullptr);
    KEXPECT(g_breakpoints == 2);
    KEXPECT(g_breakpoint_vector == x86::vector::Breakpoint);
}

KTEST(cpu_protection_features_match_cpuid) {
    const auto& cpu = x86::cpu_features();
    const auto& enabled = x86::enabled_features();
    KEXPECT(enabled.write_protect);
    KEXPECT(enabled.nx == cpu.nx);
    KEXPECT(enabled.smep == cpu.smep);
    KEXPECT(enabled.pcid == cpu.pcid);
}

KTEST(cpu_cr3_reload_is_measurable) {
    nk::u64 cycles = x86::mmu::measure_cr3_reload_cycles(16);
    KEXPECT(cycles > 0);
    kprintf("ktest:   one CR3 reload: %llu cycles\n", (unsigned long long)cycles);
}

KTEST(clock_ticks_advance_with_interrupts) {
    KREQUIRE(x86::interrupts_enabled());
    nk::u64 start = kernel::clock::ticks();
    nk::u64 start_ns = kernel::clock::nanoseconds_since_boot();
    // Wait for 20 ticks (20 ms at 1 kHz), bounded by the TSC so a dead timer fails, not hangs.
    while (kernel::clock::ticks() - start < 20 &&
           kernel::clock::nanoseconds_since_boot() - start_ns < 2000000000ull)
        x86::halt();
    nk::u64 elapsed_ns = kernel::clock::nanoseconds_since_boot() - start_ns;
    KEXPECT(kernel::clock::ticks() - start >= 20);
    // The TSC and the PIT agree within a generous margin (emulators are noisy).
    KEXPECT(elapsed_ns >= 15000000ull && elapsed_ns <= 500000000ull);
}

KTEST(clock_tsc_calibrated) {
    KEXPECT(kernel::clock::tsc_hz() > 100000000ull); // > 100 MHz
    // One second's worth of cycles converts to one second, within the 32.32 fixed point's
    // rounding (well under a part per million).
    nk::u64 one_second = kernel::clock::cycles_to_nanoseconds(kernel::clock::tsc_hz());
    KEXPECT(one_second >= 999999000ull && one_second <= 1000001000ull);
}

KTEST(symbols_name_kernel_functions) {
    char buffer[128];
    auto address = reinterpret_cast<nk::u64>(&kernel::clock::ticks);
    kernel::symbolize(address + 1, buffer, sizeof buffer);
    KEXPECT(strcmp(buffer, "kernel::clock::ticks()+0x1") == 0);
    kernel::symbolize(0x10, buffer, sizeof buffer);
    KEXPECT(strcmp(buffer, "0x10") == 0);
}

KTEST(libc_format_in_kernel) {
    char buffer[64];
    int length = snprintf(buffer, sizeof buffer, "%5d|%-4s|%#x|%llu", 42, "ab", 255,
                          18446744073709551615ull);
    KEXPECT(strcmp(buffer, "   42|ab  |0xff|18446744073709551615") == 0);
    KEXPECT(length == int(strlen(buffer)));
}
