#include <arch/x86/cpu.h>
#include <arch/x86/idt.h>
#include <arch/x86/machine.h>
#include <kernel/console/console.h>
#include <kernel/debug/backtrace.h>
#include <kernel/debug/panic.h>
#include <kernel/debug/symbol_table.h>

#include <stdarg.h>
#include <stdio.h>

extern "C" const char __ksyms_start[], __ksyms_end[];

namespace kernel {

namespace {

SymbolTable g_symbols;
void (*g_panic_interceptor)(const char*) = nullptr;
bool g_symbols_ready = false;
volatile bool g_in_panic = false;

void print_backtrace_from(nk::u64 rip, nk::u64 rbp) {
    char name[160];
    console::emergency_printf("backtrace:\n");
    console::emergency_printf("  #0  0x%016llx %s\n", (unsigned long long)rip,
                              symbolize(rip, name, sizeof name));
    nk::u64 addresses[32];
    nk::usize count = collect_backtrace(rbp, addresses, 32);
    for (nk::usize i = 0; i < count; ++i) {
        // A return address points after the call; name the call itself.
        console::emergency_printf("  #%-2zu 0x%016llx %s\n", i + 1,
                                  (unsigned long long)addresses[i],
                                  symbolize(addresses[i] - 1, name, sizeof name));
    }
}

[[noreturn]] void finish() {
    console::emergency_printf("PANIC: system halted\n");
    x86::machine::exit_emulator(x86::machine::ExitCode::Panic);
}

// Only the first panic reports; one raised while reporting would recurse.
void enter_panic() {
    x86::disable_interrupts();
    if (g_in_panic) {
        console::emergency_printf("\nPANIC: nested panic while reporting; halting\n");
        x86::machine::exit_emulator(x86::machine::ExitCode::Panic);
    }
    g_in_panic = true;
}

void describe_page_fault(nk::u64 error_code) {
    // Error code bits: SDM Vol. 3A, 4.7 "Page-Fault Exceptions".
    console::emergency_printf(
        "  page fault: %s, %s, %s%s%s\n",
        error_code & 1 ? "protection violation" : "page not present",
        error_code & 2 ? "write" : "read", error_code & 4 ? "user mode" : "supervisor mode",
        error_code & 16 ? ", instruction fetch" : "", error_code & 8 ? ", reserved bit set" : "");
}

} // namespace

void init_symbols() {
    auto table = SymbolTable::parse(__ksyms_start, nk::usize(__ksyms_end - __ksyms_start));
    if (table.is_error()) {
        console::emergency_printf(
            "symbols: embedded table unusable (%s); backtraces show addresses\n",
            nk::error_name(table.error()));
        return;
    }
    g_symbols = table.value();
    g_symbols_ready = true;
}

const char* symbolize(unsigned long long address, char* buffer, unsigned long size) {
    if (g_symbols_ready) {
        auto found = g_symbols.lookup(address);
        if (found.has_value()) {
            snprintf(buffer, size, "%s+0x%llx", found.value().name,
                     (unsigned long long)found.value().offset);
            return buffer;
        }
    }
    snprintf(buffer, size, "0x%llx", address);
    return buffer;
}

void set_panic_interceptor(void (*interceptor)(const char*)) {
    g_panic_interceptor = interceptor;
}

void panic(const char* format, ...) {
    char message[256];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (g_panic_interceptor && !g_in_panic)
        g_panic_interceptor(message);
    enter_panic();
    console::emergency_printf("\nPANIC: %s\n", message);
    nk::u64 rbp;
    asm volatile("mov %%rbp, %0" : "=r"(rbp));
    print_backtrace_from(reinterpret_cast<nk::u64>(__builtin_return_address(0)), rbp);
    finish();
}

void panic_on_exception(const x86::InterruptFrame& frame) {
    enter_panic();
    char where[160];
    nk::u64 cr2 = x86::read_cr2();
    console::emergency_printf("\nPANIC: unhandled exception %llu (%s) at %s\n",
                              (unsigned long long)frame.vector, x86::exception_name(frame.vector),
                              symbolize(frame.rip, where, sizeof where));
    console::emergency_printf("  error code 0x%llx  cr2 0x%016llx  %s mode\n",
                              (unsigned long long)frame.error_code, (unsigned long long)cr2,
                              frame.from_user() ? "user" : "kernel");
    if (frame.vector == x86::vector::PageFault)
        describe_page_fault(frame.error_code);
    console::emergency_printf(
        "  rip 0x%016llx  rsp 0x%016llx  rflags 0x%08llx  cs 0x%llx  ss 0x%llx\n"
        "  rax 0x%016llx  rbx 0x%016llx  rcx 0x%016llx  rdx 0x%016llx\n"
        "  rsi 0x%016llx  rdi 0x%016llx  rbp 0x%016llx  r8  0x%016llx\n"
        "  r9  0x%016llx  r10 0x%016llx  r11 0x%016llx  r12 0x%016llx\n"
        "  r13 0x%016llx  r14 0x%016llx  r15 0x%016llx  cr3 0x%016llx\n",
        (unsigned long long)frame.rip, (unsigned long long)frame.rsp,
        (unsigned long long)frame.rflags, (unsigned long long)frame.cs,
        (unsigned long long)frame.ss, (unsigned long long)frame.rax, (unsigned long long)frame.rbx,
        (unsigned long long)frame.rcx, (unsigned long long)frame.rdx, (unsigned long long)frame.rsi,
        (unsigned long long)frame.rdi, (unsigned long long)frame.rbp, (unsigned long long)frame.r8,
        (unsigned long long)frame.r9, (unsigned long long)frame.r10, (unsigned long long)frame.r11,
        (unsigned long long)frame.r12, (unsigned long long)frame.r13, (unsigned long long)frame.r14,
        (unsigned long long)frame.r15, (unsigned long long)x86::read_cr3());
    print_backtrace_from(frame.rip, frame.rbp);
    finish();
}

} // namespace kernel

// Hooks the freestanding libc and the utility headers call.
extern "C" [[noreturn]] void nk_panic(const char* message) {
    kernel::panic("%s", message);
}

extern "C" [[noreturn]] void nk_assert_failed(const char* expression, const char* file, int line,
                                              const char* function) {
    kernel::panic("assertion failed: %s in %s at %s:%d", expression, function, file, line);
}

namespace nk {
[[noreturn]] void result_failed(const char* what, const char* file, int line) {
    kernel::panic("%s at %s:%d", what, file, line);
}
} // namespace nk
