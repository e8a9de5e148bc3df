#include <arch/x86/context.h>

extern "C" void x86_thread_trampoline();
extern "C" [[noreturn]] void x86_enter_user(nk::u64 rip, nk::u64 rsp, nk::u64 rdi, nk::u64 rsi);

namespace x86 {

nk::u64 prepare_thread_stack(nk::u64 stack_top, void (*entry)(void*), void* argument) {
    // The layout x86_switch_context pops: r15 r14 r13 r12 rbx rbp, then the return address.
    // The ABI wants RSP 16-byte aligned at a call instruction: after the final ret pops the
    // trampoline address, RSP = stack_top - 16, and the trampoline's call is aligned.
    auto* slot = reinterpret_cast<nk::u64*>(stack_top - 16);
    *--slot = reinterpret_cast<nk::u64>(x86_thread_trampoline);
    *--slot = 0;                                      // rbp
    *--slot = 0;                                      // rbx
    *--slot = reinterpret_cast<nk::u64>(entry);       // r12
    *--slot = reinterpret_cast<nk::u64>(argument);    // r13
    *--slot = 0;                                      // r14
    *--slot = 0;                                      // r15
    return reinterpret_cast<nk::u64>(slot);
}

void enter_user_mode(nk::u64 rip, nk::u64 rsp, nk::u64 rdi, nk::u64 rsi) {
    x86_enter_user(rip, rsp, rdi, rsi);
}

} // namespace x86
