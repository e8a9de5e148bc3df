#include <arch/x86/interrupt_state.h>
#include <kernel/time/clock.h>
#include <kernel/time/timer.h>

namespace kernel {

namespace {

nk::IntrusiveList<Timer, &Timer::m_node> g_armed; // sorted by deadline

nk::u64 to_ticks(nk::u64 milliseconds) {
    nk::u64 ticks = (milliseconds * clock::TICK_HZ + 999) / 1000;
    return ticks ? ticks : 1;
}

void insert_sorted(Timer& timer) {
    for (auto& other : g_armed) {
        if (other.m_deadline > timer.m_deadline) {
            g_armed.insert_before(other, timer);
            return;
        }
    }
    g_armed.push_back(timer);
}

void arm(Timer& timer, nk::u64 milliseconds, nk::u64 period, Timer::Callback callback,
         void* context) {
    x86::InterruptGuard guard;
    if (timer.is_armed())
        g_armed.remove(timer);
    timer.m_callback = callback;
    timer.m_context = context;
    timer.m_period = period;
    timer.m_deadline = clock::ticks() + to_ticks(milliseconds);
    insert_sorted(timer);
}

} // namespace

void Timer::start_once(nk::u64 milliseconds, Callback callback, void* context) {
    arm(*this, milliseconds, 0, callback, context);
}

void Timer::start_periodic(nk::u64 milliseconds, Callback callback, void* context) {
    arm(*this, milliseconds, to_ticks(milliseconds), callback, context);
}

void Timer::cancel() {
    x86::InterruptGuard guard;
    if (is_armed())
        g_armed.remove(*this);
    m_period = 0;
}

namespace timers {

void on_tick(nk::u64 now) {
    while (Timer* timer = g_armed.first()) {
        if (timer->m_deadline > now)
            break;
        g_armed.remove(*timer);
        if (timer->m_period) {
            timer->m_deadline += timer->m_period;
            if (timer->m_deadline <= now) // fell behind: don't fire a burst to catch up
                timer->m_deadline = now + timer->m_period;
            insert_sorted(*timer);
        }
        ++timer->m_fired;
        // The callback may cancel or re-arm this timer: it is in a consistent state already.
        timer->m_callback(timer->m_context);
    }
}

nk::u64 armed_count() {
    x86::InterruptGuard guard;
    return g_armed.size();
}

} // namespace timers
} // namespace kernel
