// Kernel panic: for broken kernel invariants only (errors are values everywhere else).
// Prints "PANIC: <message>", the registers when there is a trap frame, a symbolized backtrace,
// then leaves the machine with the Panic exit code (isa-debug-exit under QEMU).
#pragma once

#include <arch/x86/interrupt_frame.h>

namespace kernel {

[[noreturn]] void panic(const char* format, ...) __attribute__((format(printf, 1, 2)));
// The report for an exception nobody handled: vector, error code, CR2, registers, backtrace.
[[noreturn]] void panic_on_exception(const x86::InterruptFrame& frame);

// Called first by panic(): the Nooks recovery manager uses it to fail an extension whose
// crossing reached a kernel panic (it does not return then). Returning lets the panic proceed.
void set_panic_interceptor(void (*interceptor)(const char* message));

// Loads the embedded symbol table (the .ksyms section); before this, backtraces print addresses.
void init_symbols();
// "name+0x1c" for an address, into `buffer`; "0x..." when unknown.
const char* symbolize(unsigned long long address, char* buffer, unsigned long size);

} // namespace kernel

#define KASSERT(condition)                                                                         \
    do {                                                                                           \
        if (!(condition))                                                                          \
            ::kernel::panic("assertion failed: %s at %s:%d", #condition, __FILE__, __LINE__);      \
    } while (0)
