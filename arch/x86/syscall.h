// System call entry: MSR set-up for SYSCALL/SYSRET and the register frame the entry stub saves.
#pragma once

#include <nk/types.h>

namespace x86 {

// Lowest address first, as syscall_entry.S pushes it.
struct SyscallFrame {
    nk::u64 r15, r14, r13, r12, rbp, rbx, r9, r8, r10, rdx, rsi, rdi;
    nk::u64 rax; // the syscall number on entry, the result on return
    nk::u64 rip, rflags, rsp;

    nk::u64 number() const { return rax; }
    nk::u64 argument(unsigned index) const {
        switch (index) {
        case 0:
            return rdi;
        case 1:
            return rsi;
        case 2:
            return rdx;
        case 3:
            return r10;
        case 4:
            return r8;
        default:
            return r9;
        }
    }
};
static_assert(sizeof(SyscallFrame) == 16 * 8);

using SyscallHandler = void (*)(SyscallFrame& frame);
using BadReturnHandler = void (*)(SyscallFrame& frame);

// Enables SYSCALL (EFER.SCE) and points LSTAR at the entry stub; `handler` is called for every
// system call with interrupts enabled, `bad_return` when a frame cannot be returned to.
void syscall_init(SyscallHandler handler, BadReturnHandler bad_return);
// The kernel stack the next system call runs on (the current thread's stack top).
void set_syscall_stack(nk::u64 stack_top);

} // namespace x86
