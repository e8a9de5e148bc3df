// The interrupt flag: enabling, disabling, saving and restoring it, and waiting for the next
// interrupt. The basis of every kernel lock on this (so far single-CPU) kernel.
#pragma once

#include <nk/types.h>

namespace x86 {

constexpr nk::u64 RFLAGS_IF = 1ull << 9;

#if defined(NK_HOST_TEST)
// Host unit tests run kernel logic in a Linux process, where these instructions would fault:
// there, interrupts are simply "always off" and the guards do nothing.
inline void enable_interrupts() {}
inline void disable_interrupts() {}
inline bool interrupts_enabled() {
    return false;
}
inline void halt() {}
inline nk::u64 save_and_disable_interrupts() {
    return 0;
}
inline void restore_interrupts(nk::u64) {}
#else

inline void enable_interrupts() {
    asm volatile("sti" ::: "memory");
}
inline void disable_interrupts() {
    asm volatile("cli" ::: "memory");
}
inline bool interrupts_enabled() {
    nk::u64 flags;
    asm volatile("pushfq; popq %0" : "=r"(flags));
    return flags & RFLAGS_IF;
}
// Sleeps until the next interrupt.
inline void halt() {
    asm volatile("hlt" ::: "memory");
}
// Interrupts on and halt, with nothing between: `sti` holds interrupts off for one more
// instruction (SDM Vol. 2B, STI), so none is taken before the `hlt` and lost to it.
inline void enable_interrupts_and_halt() {
    asm volatile("sti; hlt" ::: "memory");
}
[[noreturn]] inline void halt_forever() {
    for (;;)
        asm volatile("cli; hlt");
}

inline nk::u64 save_and_disable_interrupts() {
    nk::u64 flags;
    asm volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
    return flags;
}

inline void restore_interrupts(nk::u64 flags) {
    if (flags & RFLAGS_IF)
        asm volatile("sti" ::: "memory");
}

#endif

// Disables interrupts for the lifetime of the object and restores the previous state.
class InterruptGuard {
public:
    InterruptGuard() : m_flags(save_and_disable_interrupts()) {}
    ~InterruptGuard() { restore_interrupts(m_flags); }
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

private:
    nk::u64 m_flags;
};

} // namespace x86
