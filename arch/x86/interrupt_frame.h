// The register state saved by the interrupt entry stubs (interrupt_stubs.S), lowest address
// first, and the CR3 the interrupt found. The last five fields are what the CPU pushes (SDM Vol.
// 3A, 6.14.2 "64-Bit Mode Stack Frame"); the stubs push a zero error code for vectors that have
// none.
#pragma once

#include <nk/types.h>

namespace x86 {

struct InterruptFrame {
    nk::u64 cr3; // as it was when the interrupt arrived (a domain's, when an extension ran)
    nk::u64 r15, r14, r13, r12, r11, r10, r9, r8;
    nk::u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
    nk::u64 vector;
    nk::u64 error_code;
    nk::u64 rip, cs, rflags, rsp, ss;

    bool from_user() const { return (cs & 3) == 3; }
};
static_assert(sizeof(InterruptFrame) == 23 * 8);

} // namespace x86
