// A counting semaphore (Dijkstra's P/V): down() blocks while the count is zero. up() may be
// called from interrupt context — it is how bottom halves and drivers signal threads.
#pragma once

#include <kernel/sched/wait_queue.h>
#include <nk/types.h>

namespace kernel {

class Semaphore {
public:
    constexpr explicit Semaphore(nk::u64 initial = 0) : m_count(initial) {}
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;

    void down();
    // False when the count stayed zero for `milliseconds`.
    bool down_for(nk::u64 milliseconds);
    bool try_down();
    void up();
    nk::u64 count() const { return m_count; }

private:
    nk::u64 m_count;
    WaitQueue m_waiters;
};

} // namespace kernel
