// Kernel timers: one-shot and periodic callbacks driven by the tick. Callbacks run in interrupt
// context (interrupts off): they must be short and must not block — hand longer work to a
// DeferredWork item.
#pragma once

#include <nk/intrusive_list.h>
#include <nk/types.h>

namespace kernel {

class Timer {
public:
    using Callback = void (*)(void* context);

    constexpr Timer() = default;
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    ~Timer() { cancel(); }

    // Fires once after `milliseconds` (rounded up to whole ticks, at least one). Re-arming an
    // armed timer moves it.
    void start_once(nk::u64 milliseconds, Callback callback, void* context);
    // Fires every `milliseconds` until cancelled.
    void start_periodic(nk::u64 milliseconds, Callback callback, void* context);
    // Safe to call on an idle timer and from the timer's own callback.
    void cancel();
    bool is_armed() const { return m_node.is_linked(); }
    nk::u64 fired() const { return m_fired; }

    nk::IntrusiveListNode m_node;
    nk::u64 m_deadline = 0;
    nk::u64 m_period = 0;
    Callback m_callback = nullptr;
    void* m_context = nullptr;
    nk::u64 m_fired = 0;
};

namespace timers {
// From the tick interrupt.
void on_tick(nk::u64 now);
nk::u64 armed_count();
} // namespace timers

} // namespace kernel
