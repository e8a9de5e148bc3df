#include <arch/x86/interrupt_state.h>
#include <kernel/sched/deferred_work.h>
#include <kernel/sched/scheduler.h>
#include <kernel/sched/wait_queue.h>

namespace kernel {

namespace {

nk::IntrusiveList<DeferredWork, &DeferredWork::m_node> g_queue;
WaitQueue g_worker_wait;

void worker(void*) {
    for (;;) {
        DeferredWork* item;
        {
            x86::InterruptGuard guard;
            while (g_queue.is_empty())
                g_worker_wait.wait();
            item = g_queue.pop_front();
        }
        // Runs with interrupts enabled; the item may re-queue itself.
        ++item->m_runs;
        item->m_function(item->m_context);
    }
}

} // namespace

bool DeferredWork::schedule() {
    x86::InterruptGuard guard;
    if (is_queued())
        return false;
    g_queue.push_back(*this);
    g_worker_wait.wake_one();
    return true;
}

namespace deferred_work {

nk::ErrorOr init() {
    Thread* thread = TRY(sched::create_thread("deferred-work", worker, nullptr, Priority::High));
    sched::start(thread);
    return {};
}

nk::u64 pending() {
    x86::InterruptGuard guard;
    return g_queue.size();
}

} // namespace deferred_work
} // namespace kernel
