#include <kernel/debug/fault_trigger.h>
#include <kernel/debug/panic.h>

#include <string.h>

namespace kernel {

// Each trigger is its own non-inlined function so the report can name it.
[[gnu::noinline]] void trigger_page_fault() {
    volatile int* null_pointer = nullptr;
    *null_pointer = 0x1234;
}

[[gnu::noinline]] void trigger_general_protection() {
    // Bit 47 set without sign extension: a non-canonical address (SDM 3.3.7.1).
    volatile int* non_canonical = reinterpret_cast<volatile int*>(0x0000800000000000ull);
    *non_canonical = 1;
}

[[gnu::noinline]] void trigger_invalid_opcode() {
    asm volatile("ud2");
}

[[gnu::noinline]] void trigger_divide_error() {
    volatile int zero = 0;
    volatile int result = 10 / zero;
    (void)result;
}

[[gnu::noinline]] int trigger_stack_overflow(int depth) {
    // A frame that cannot be optimised away, and a use after the recursive call so it is not a
    // tail call.
    volatile char frame[512];
    frame[0] = char(depth);
    if (depth > (1 << 30)) // never reached before the guard page; keeps the recursion finite
        return 0;
    return trigger_stack_overflow(depth + 1) + frame[0];
}

bool trigger_fault(const char* kind) {
    if (strcmp(kind, "page") == 0)
        trigger_page_fault();
    else if (strcmp(kind, "gp") == 0)
        trigger_general_protection();
    else if (strcmp(kind, "ud") == 0)
        trigger_invalid_opcode();
    else if (strcmp(kind, "div0") == 0)
        trigger_divide_error();
    else if (strcmp(kind, "stack") == 0)
        trigger_stack_overflow(0);
    else if (strcmp(kind, "panic") == 0)
        panic("deliberate panic requested on the command line");
    else
        return false;
    return true;
}

} // namespace kernel
