#include <arch/x86/interrupt_state.h>
#include <kernel/debug/panic.h>
#include <kernel/sched/scheduler.h>
#include <kernel/sched/wait_queue.h>
#include <kernel/sync/mutex.h>

namespace kernel {

void Mutex::lock() {
    x86::InterruptGuard guard;
    Thread* self = sched::current();
    if (m_owner == self)
        panic("mutex %p locked twice by thread %s", static_cast<void*>(this), self->name);
    if (m_owner)
        ++m_contentions;
    // Ownership is handed over directly by unlock(), so a woken waiter already owns the mutex
    // and nobody can barge in between.
    while (m_owner && m_owner != self)
        m_waiters.wait();
    m_owner = self;
}

bool Mutex::try_lock() {
    x86::InterruptGuard guard;
    if (m_owner)
        return false;
    m_owner = sched::current();
    return true;
}

void Mutex::unlock() {
    x86::InterruptGuard guard;
    if (m_owner != sched::current())
        panic("mutex %p unlocked by a thread that does not hold it", static_cast<void*>(this));
    m_owner = m_waiters.first_waiter();
    if (m_owner)
        m_waiters.wake_one();
}

bool Mutex::is_held_by_current_thread() const { return m_owner == sched::current(); }

} // namespace kernel
