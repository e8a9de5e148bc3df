// Threads waiting for something. Waking moves them back to the ready queues. Every operation
// runs with interrupts disabled, so an interrupt handler may wake a queue.
#pragma once

#include <kernel/sched/thread.h>
#include <nk/intrusive_list.h>

namespace kernel {

class WaitQueue {
public:
    constexpr WaitQueue() = default;
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;

    // Blocks the current thread until woken. The caller has interrupts disabled and has already
    // checked (under that same disable) that it must wait, so no wake-up is lost in between.
    void wait();
    // As wait(), but gives up after `milliseconds`; returns false on timeout.
    bool wait_for(nk::u64 milliseconds);
    // Return how many threads were woken.
    unsigned wake_one();
    unsigned wake_all();
    bool is_empty() const { return m_threads.is_empty(); }
    // The thread wake_one() would wake, or nullptr.
    Thread* first_waiter() const { return m_threads.first(); }

    // For the scheduler: drop a thread that stopped waiting for another reason (timeout, kill).
    void remove(Thread& thread);

private:
    nk::IntrusiveList<Thread, &Thread::queue_node> m_threads;
};

} // namespace kernel
