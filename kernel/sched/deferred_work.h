// Deferred work: interrupt handlers (top halves) queue items that a kernel worker thread runs
// later with interrupts on (bottom halves) — where blocking, allocating and long work are fine.
#pragma once

#include <nk/intrusive_list.h>
#include <nk/result.h>
#include <nk/types.h>

namespace kernel {

class DeferredWork {
public:
    using Function = void (*)(void* context);

    constexpr DeferredWork() = default;
    DeferredWork(Function function, void* context) : m_function(function), m_context(context) {}
    DeferredWork(const DeferredWork&) = delete;
    DeferredWork& operator=(const DeferredWork&) = delete;

    void set(Function function, void* context) {
        m_function = function;
        m_context = context;
    }
    // Queues the item unless it is already queued (then this is a no-op, like Linux's
    // schedule_work): safe from interrupt context. Returns false if it was already queued.
    bool schedule();
    bool is_queued() const { return m_node.is_linked(); }
    nk::u64 runs() const { return m_runs; }

    nk::IntrusiveListNode m_node;
    Function m_function = nullptr;
    void* m_context = nullptr;
    nk::u64 m_runs = 0;
};

namespace deferred_work {
// Starts the worker thread.
nk::ErrorOr init();
nk::u64 pending();
} // namespace deferred_work

} // namespace kernel
