// Switching between kernel threads and entering ring 3. The callee-saved registers of the
// System V AMD64 ABI (RBX, RBP, R12-R15) are saved on the old thread's stack; everything else is
// already saved by the caller of switch_context() by the ABI's own rules.
#pragma once

#include <nk/types.h>

namespace x86 {

// Saves the current context, stores its stack pointer in *old_rsp, and resumes the context whose
// stack pointer is new_rsp. Returns when something switches back to the old context.
extern "C" void x86_switch_context(nk::u64* old_rsp, nk::u64 new_rsp);

// Lays out a fresh kernel stack so that the first switch to it calls entry(argument) with
// interrupts enabled. Returns the stack pointer to hand to x86_switch_context().
nk::u64 prepare_thread_stack(nk::u64 stack_top, void (*entry)(void*), void* argument);

// Drops to ring 3 at rip with the given stack; RDI and RSI carry the first two arguments.
// Interrupts are enabled in user mode. Never returns.
[[noreturn]] void enter_user_mode(nk::u64 rip, nk::u64 rsp, nk::u64 rdi, nk::u64 rsi);

} // namespace x86
