// A spinlock that also disables interrupts while held, for data shared with interrupt handlers.
// On this single-CPU kernel the interrupt disable is what provides the exclusion; the flag
// catches recursive locking, which would deadlock on a multiprocessor.
#pragma once

#include <arch/x86/interrupt_state.h>
#include <kernel/debug/panic.h>
#include <nk/types.h>

namespace kernel {

class Spinlock {
public:
    constexpr Spinlock() = default;
    Spinlock(const Spinlock&) = delete;
    Spinlock& operator=(const Spinlock&) = delete;

    // Returns the interrupt state to hand back to unlock().
    nk::u64 lock() {
        nk::u64 flags = x86::save_and_disable_interrupts();
        while (__atomic_exchange_n(&m_locked, true, __ATOMIC_ACQUIRE)) {
            x86::restore_interrupts(flags);
            panic("spinlock %p: recursive lock", static_cast<void*>(this));
        }
        return flags;
    }
    void unlock(nk::u64 flags) {
        __atomic_store_n(&m_locked, false, __ATOMIC_RELEASE);
        x86::restore_interrupts(flags);
    }
    bool is_locked() const { return m_locked; }

private:
    bool m_locked = false;
};

class SpinlockGuard {
public:
    explicit SpinlockGuard(Spinlock& lock) : m_lock(lock), m_flags(lock.lock()) {}
    ~SpinlockGuard() { m_lock.unlock(m_flags); }
    SpinlockGuard(const SpinlockGuard&) = delete;
    SpinlockGuard& operator=(const SpinlockGuard&) = delete;

private:
    Spinlock& m_lock;
    nk::u64 m_flags;
};

// Data that can only be reached with its lock held (SerenityOS's SpinlockProtected):
//   g_counter.with([](u64& value) { ++value; });
template <typename T>
class SpinlockProtected {
public:
    template <typename... Args>
    constexpr explicit SpinlockProtected(Args... args) : m_value(args...) {}

    template <typename Function>
    auto with(Function function) {
        SpinlockGuard guard(m_lock);
        return function(m_value);
    }

private:
    Spinlock m_lock;
    T m_value;
};

} // namespace kernel
