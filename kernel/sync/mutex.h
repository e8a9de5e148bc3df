// A sleeping mutex: a thread that finds it taken blocks on a wait queue instead of spinning.
// Not for interrupt context. Recursive locking is a bug (panics).
#pragma once

#include <kernel/sched/wait_queue.h>
#include <nk/types.h>

namespace kernel {

class Mutex {
public:
    constexpr Mutex() = default;
    Mutex(const Mutex&) = delete;
    Mutex& operator=(const Mutex&) = delete;

    void lock();
    void unlock();
    bool try_lock();
    bool is_locked() const { return m_owner != nullptr; }
    bool is_held_by_current_thread() const;

    // Statistics for the contention tests.
    nk::u64 contentions() const { return m_contentions; }

private:
    Thread* m_owner = nullptr;
    WaitQueue m_waiters;
    nk::u64 m_contentions = 0;
};

class MutexLocker {
public:
    explicit MutexLocker(Mutex& mutex) : m_mutex(mutex) { m_mutex.lock(); }
    ~MutexLocker() { m_mutex.unlock(); }
    MutexLocker(const MutexLocker&) = delete;
    MutexLocker& operator=(const MutexLocker&) = delete;

private:
    Mutex& m_mutex;
};

} // namespace kernel
