// In-kernel tests of threads, the scheduler, wait queues, sleeping, mutexes, semaphores, timers
// and deferred work.
#include <arch/x86/cpu.h>
#include <arch/x86/interrupt_state.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/sched/deferred_work.h>
#include <kernel/sched/kernel_stack.h>
#include <kernel/sched/scheduler.h>
#include <kernel/sync/mutex.h>
#include <kernel/sync/semaphore.h>
#include <kernel/test/ktest.h>
#include <kernel/time/clock.h>
#include <kernel/time/timer.h>

using namespace kernel;

namespace {

struct Counter {
    volatile int value = 0;
    Semaphore done;
};

void increment_and_signal(void* argument) {
    auto* counter = static_cast<Counter*>(argument);
    counter->value = counter->value + 1;
    counter->done.up();
}

} // namespace

KTEST(sched_threads_run_and_exit) {
    Counter counter;
    auto before = sched::stats();
    for (int i = 0; i < 8; ++i) {
        auto thread = sched::create_thread("test-inc", increment_and_signal, &counter);
        KREQUIRE(thread.has_value());
        sched::start(thread.value());
    }
    for (int i = 0; i < 8; ++i)
        KREQUIRE(counter.done.down_for(2000));
    KEXPECT(counter.value == 8);
    // Let the last one be reaped, then everything is back: threads and stacks.
    sched::yield();
    sched::sleep_ms(2);
    auto after = sched::stats();
    KEXPECT(after.live_threads == before.live_threads);
    KEXPECT(after.threads_exited - before.threads_exited == 8);
}

namespace {
struct PingPong {
    Semaphore ping;
    Semaphore pong;
    int rounds;
};
void ponger(void* argument) {
    auto* state = static_cast<PingPong*>(argument);
    for (int i = 0; i < state->rounds; ++i) {
        state->ping.down();
        state->pong.up();
    }
}
} // namespace

KTEST(sched_semaphore_ping_pong_switches) {
    PingPong state;
    state.rounds = 200;
    auto thread = sched::create_thread("test-pong", ponger, &state);
    KREQUIRE(thread.has_value());
    auto before = sched::stats().context_switches;
    sched::start(thread.value());
    for (int i = 0; i < state.rounds; ++i) {
        state.ping.up();
        KREQUIRE(state.pong.down_for(2000));
    }
    // Each round trip is at least two switches.
    KEXPECT(sched::stats().context_switches - before >= 2u * state.rounds);
}

namespace {
struct Contended {
    Mutex mutex;
    nk::u64 shared = 0;
    int iterations;
    Semaphore finished;
};
void contend(void* argument) {
    auto* state = static_cast<Contended*>(argument);
    for (int i = 0; i < state->iterations; ++i) {
        MutexLocker locker(state->mutex);
        // A read-modify-write with a yield in the middle: without the mutex, updates are lost.
        nk::u64 value = state->shared;
        if (i % 7 == 0)
            sched::yield();
        state->shared = value + 1;
    }
    state->finished.up();
}
} // namespace

KTEST(sync_mutex_under_contention) {
    Contended state;
    state.iterations = 300;
    constexpr int THREADS = 4;
    for (int i = 0; i < THREADS; ++i) {
        auto thread = sched::create_thread("test-mutex", contend, &state);
        KREQUIRE(thread.has_value());
        sched::start(thread.value());
    }
    for (int i = 0; i < THREADS; ++i)
        KREQUIRE(state.finished.down_for(5000));
    KEXPECT(state.shared == nk::u64(THREADS * state.iterations));
    KEXPECT(state.mutex.contentions() > 0);
    KEXPECT(!state.mutex.is_locked());
}

KTEST(sync_semaphore_timeout) {
    Semaphore empty;
    nk::u64 start = clock::nanoseconds_since_boot();
    KEXPECT(!empty.down_for(30));
    nk::u64 waited = clock::nanoseconds_since_boot() - start;
    KEXPECT(waited >= 25000000ull);  // about 30 ms (tick granularity)
    KEXPECT(waited < 1000000000ull); // and not forever
    empty.up();
    KEXPECT(empty.down_for(30));
    KEXPECT(!empty.try_down());
}

KTEST(sched_sleep_sleeps) {
    nk::u64 start = clock::nanoseconds_since_boot();
    sched::sleep_ms(20);
    nk::u64 slept = clock::nanoseconds_since_boot() - start;
    KEXPECT(slept >= 19000000ull && slept < 500000000ull);
}

namespace {
struct Spinner {
    volatile bool stop = false;
    volatile nk::u64 spins = 0;
    Semaphore finished;
};
void spin(void* argument) {
    auto* state = static_cast<Spinner*>(argument);
    while (!state->stop)
        state->spins = state->spins + 1;
    state->finished.up();
}
} // namespace

KTEST(sched_preemption_lets_others_run) {
    // A thread that never yields must not starve this one: the timer preempts it.
    Spinner spinner;
    auto thread = sched::create_thread("test-spin", spin, &spinner);
    KREQUIRE(thread.has_value());
    sched::start(thread.value());
    sched::sleep_ms(50);
    KEXPECT(spinner.spins > 0);
    spinner.stop = true;
    KEXPECT(spinner.finished.down_for(2000));
}

namespace {
struct TimerState {
    volatile int fired = 0;
};
void on_timer(void* context) {
    auto* state = static_cast<TimerState*>(context);
    state->fired = state->fired + 1;
}
} // namespace

KTEST(timer_one_shot_and_periodic) {
    TimerState once_state, periodic_state;
    Timer once, periodic;
    once.start_once(10, on_timer, &once_state);
    periodic.start_periodic(5, on_timer, &periodic_state);
    sched::sleep_ms(60);
    periodic.cancel();
    int periodic_count = periodic_state.fired;
    KEXPECT(once_state.fired == 1);
    KEXPECT(!once.is_armed());
    KEXPECT(periodic_count >= 8 && periodic_count <= 13);
    sched::sleep_ms(20);
    KEXPECT(periodic_state.fired == periodic_count); // cancelled means cancelled
}

namespace {
struct WorkState {
    volatile int runs = 0;
    volatile bool interrupts_were_on = false;
    Semaphore done;
};
void deferred(void* context) {
    auto* state = static_cast<WorkState*>(context);
    state->runs = state->runs + 1;
    state->interrupts_were_on = x86::interrupts_enabled();
    state->done.up();
}
void queue_from_timer(void* context) {
    static_cast<DeferredWork*>(context)->schedule();
}
} // namespace

KTEST(deferred_work_runs_from_interrupt_context) {
    WorkState state;
    DeferredWork work(deferred, &state);
    Timer timer;
    // The timer callback runs in interrupt context and queues the bottom half.
    timer.start_once(5, queue_from_timer, &work);
    KREQUIRE(state.done.down_for(2000));
    KEXPECT(state.runs == 1);
    KEXPECT(state.interrupts_were_on);
}

KTEST(sched_stacks_have_guard_pages) {
    auto stack = kernel_stacks::allocate();
    KREQUIRE(stack.has_value());
    auto& table = memory::kernel_page_table();
    KEXPECT(table.translate(stack.value().bottom).has_value());
    KEXPECT(table.translate(stack.value().top - 8).has_value());
    KEXPECT(table.translate(stack.value().bottom - 4096).is_error());
    KEXPECT(kernel_stacks::is_guard_page(stack.value().bottom - 4096));
    auto frames_before = memory::frames().stats().free_frames;
    kernel_stacks::free(stack.value());
    KEXPECT(memory::frames().stats().free_frames == frames_before + KERNEL_STACK_SIZE / 4096);
}

KTEST(sched_idle_cycles_count_halts) {
    // Nothing else runs while the self tests do: a sleep is almost all halt, and never more than
    // the time that passed.
    nk::u64 start = x86::rdtsc();
    nk::u64 idle_before = sched::idle_cycles();
    sched::sleep_ms(50);
    nk::u64 cycles = x86::rdtsc() - start;
    nk::u64 idle = sched::idle_cycles() - idle_before;
    KEXPECT(idle > cycles / 2);
    KEXPECT(idle <= cycles);
    KEXPECT(sched::busy_percent(cycles, idle) < 50);
    KEXPECT(sched::busy_percent(100, 25) == 75);
    KEXPECT(sched::busy_percent(0, 0) == 0);
}
