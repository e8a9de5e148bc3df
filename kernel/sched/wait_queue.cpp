#include <arch/x86/interrupt_state.h>
#include <kernel/sched/scheduler.h>
#include <kernel/sched/wait_queue.h>
#include <kernel/time/clock.h>

namespace kernel {

void WaitQueue::wait() {
    sched::check_may_block();
    Thread* self = sched::current();
    m_threads.push_back(*self);
    self->waiting_on = this;
    sched::block_current();
}

bool WaitQueue::wait_for(nk::u64 milliseconds) {
    sched::check_may_block();
    Thread* self = sched::current();
    m_threads.push_back(*self);
    self->waiting_on = this;
    self->woken_by_timeout = false;
    nk::u64 ticks = (milliseconds * clock::TICK_HZ + 999) / 1000;
    sched::add_sleeper(self, clock::ticks() + (ticks ? ticks : 1));
    sched::block_current();
    return !self->woken_by_timeout;
}

unsigned WaitQueue::wake_one() {
    x86::InterruptGuard guard;
    Thread* thread = m_threads.pop_front();
    if (!thread)
        return 0;
    thread->waiting_on = nullptr;
    sched::wake(thread);
    return 1;
}

unsigned WaitQueue::wake_all() {
    x86::InterruptGuard guard;
    unsigned count = 0;
    while (Thread* thread = m_threads.pop_front()) {
        thread->waiting_on = nullptr;
        sched::wake(thread);
        ++count;
    }
    return count;
}

void WaitQueue::remove(Thread& thread) {
    if (m_threads.contains(thread))
        m_threads.remove(thread);
}

} // namespace kernel
