#include <arch/x86/interrupt_state.h>
#include <kernel/sync/semaphore.h>
#include <kernel/time/clock.h>

namespace kernel {

void Semaphore::down() {
    x86::InterruptGuard guard;
    while (m_count == 0)
        m_waiters.wait();
    --m_count;
}

bool Semaphore::down_for(nk::u64 milliseconds) {
    x86::InterruptGuard guard;
    nk::u64 deadline = clock::nanoseconds_since_boot() + milliseconds * 1000000;
    while (m_count == 0) {
        nk::u64 now = clock::nanoseconds_since_boot();
        if (now >= deadline)
            return false;
        m_waiters.wait_for((deadline - now + 999999) / 1000000);
    }
    --m_count;
    return true;
}

bool Semaphore::try_down() {
    x86::InterruptGuard guard;
    if (m_count == 0)
        return false;
    --m_count;
    return true;
}

void Semaphore::up() {
    x86::InterruptGuard guard;
    ++m_count;
    m_waiters.wake_one();
}

} // namespace kernel
