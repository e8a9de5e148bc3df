// Dies on a CPU exception, to show that the kernel kills only the faulting process: the shell
// reports "killed (page fault)" and carries on. Built with -fno-delete-null-pointer-checks so the
// NULL access is really emitted.
//
//   fault [page|gp|ud|div0]   (default: page)
#include <nk/types.h>
#include <nk_string.h>
#include <userland/lib/print.h>

namespace {

// Through an empty asm the compiler cannot know the value, so it cannot prove the access faults
// and replace it with something else.
template <typename T>
T opaque(T value) {
    asm volatile("" : "+r"(value));
    return value;
}

[[noreturn]] void page_fault() {
    auto* pointer = opaque(static_cast<volatile int*>(nullptr));
    *pointer = 42;
    __builtin_unreachable();
}

// HLT is privileged: in ring 3 it raises #GP (SDM Vol. 2A, HLT).
[[noreturn]] void general_protection() {
    asm volatile("hlt");
    __builtin_unreachable();
}

[[noreturn]] void invalid_opcode() {
    asm volatile("ud2");
    __builtin_unreachable();
}

// In asm, because GCC rewrites a C division by a small constant into compares.
[[noreturn]] void divide_error() {
    nk::u32 low = 1, high = 0;
    asm volatile("divl %2" : "+a"(low), "+d"(high) : "r"(opaque(0u)));
    __builtin_unreachable();
}

} // namespace

int main(int argc, char** argv) {
    const char* kind = argc > 1 ? argv[1] : "page";
    printf("fault: causing a %s fault\n", kind);
    if (nk::compare_strings(kind, "page") == 0)
        page_fault();
    if (nk::compare_strings(kind, "gp") == 0)
        general_protection();
    if (nk::compare_strings(kind, "ud") == 0)
        invalid_opcode();
    if (nk::compare_strings(kind, "div0") == 0)
        divide_error();
    dprintf(2, "usage: fault [page|gp|ud|div0]\n");
    return 2;
}
