#include <arch/x86/context.h>
#include <arch/x86/cpu.h>
#include <arch/x86/domain_call.h>
#include <arch/x86/gdt.h>
#include <arch/x86/interrupt_state.h>
#include <arch/x86/mmu.h>
#include <kernel/debug/panic.h>
#include <kernel/interrupts/irq.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/sched/scheduler.h>
#include <kernel/sched/wait_queue.h>
#include <kernel/time/clock.h>

#include <string.h>

namespace kernel {

const char* thread_state_name(ThreadState state) {
    switch (state) {
    case ThreadState::Runnable:
        return "ready";
    case ThreadState::Running:
        return "running";
    case ThreadState::Blocked:
        return "blocked";
    case ThreadState::Dead:
        return "dead";
    }
    return "?";
}

namespace sched {

namespace {

using ThreadList = nk::IntrusiveList<Thread, &Thread::queue_node>;

ThreadList g_ready[PRIORITY_COUNT];
nk::IntrusiveList<Thread, &Thread::sleep_node> g_sleepers; // sorted by wake_tick
nk::IntrusiveList<Thread, &Thread::all_node> g_all;
Thread g_boot_thread; // the idle thread: the boot context adopted by init()
Thread* g_current = nullptr;
Thread* g_reap = nullptr; // a dead thread whose stack is freed after the switch away from it
bool g_need_resched = false;
nk::u64 g_next_id = 0;
Stats g_stats;
void (*g_entry_stack_hook)(nk::u64, nk::u64) = nullptr;

void make_ready(Thread* thread) {
    thread->state = ThreadState::Runnable;
    g_ready[unsigned(thread->priority)].push_back(*thread);
    if (g_current && thread->priority > g_current->priority)
        g_need_resched = true;
}

Thread* pick_next() {
    for (int level = PRIORITY_COUNT - 1; level >= 0; --level) {
        if (Thread* thread = g_ready[level].pop_front())
            return thread;
    }
    return nullptr;
}

void free_thread(Thread* thread) {
    if (thread->owns_stack)
        kernel_stacks::free(thread->stack);
    g_all.remove(*thread);
    --g_stats.live_threads;
    kfree(thread);
}

// Switches to the best runnable thread. Interrupts are disabled. If the current thread is still
// Running, it goes back on its ready queue.
void reschedule() {
    Thread* previous = g_current;
    if (previous->state == ThreadState::Running)
        make_ready(previous);
    Thread* next = pick_next();
    if (!next)
        panic("scheduler: no runnable thread (the idle thread must always be runnable)");
    g_need_resched = false;
    next->slice_ticks_left = TIME_SLICE_TICKS;
    if (next == previous) {
        next->state = ThreadState::Running;
        return;
    }
    next->state = ThreadState::Running;
    ++next->context_switches;
    ++g_stats.context_switches;
    if (previous->state == ThreadState::Dead)
        g_reap = previous;
    if (next->address_space_root != previous->address_space_root)
        x86::mmu::load_address_space(next->address_space_root, next->pcid, true);
    x86::mmu::set_thread_address_space(next->address_space_root);
    previous->entry_stack = x86::tss_kernel_stack();
    previous->domain_slot = x86::domain_slot();
    x86::set_domain_slot(next->domain_slot);
    if (g_entry_stack_hook && next->entry_stack)
        g_entry_stack_hook(next->entry_stack, next->stack.top);
    g_current = next;
    x86::x86_switch_context(&previous->saved_rsp, next->saved_rsp);
    // Back in `previous`, possibly much later. Free whatever died just before we resumed.
    if (g_reap && g_reap != g_current) {
        Thread* dead = g_reap;
        g_reap = nullptr;
        free_thread(dead);
    }
}

void thread_main(void* argument) {
    auto* thread = static_cast<Thread*>(argument);
    // The switch that started this thread skipped the reaping epilogue of reschedule().
    {
        x86::InterruptGuard guard;
        if (g_reap && g_reap != g_current) {
            Thread* dead = g_reap;
            g_reap = nullptr;
            free_thread(dead);
        }
    }
    thread->entry(thread->entry_argument);
    exit_current();
}

} // namespace

void init() {
    g_boot_thread.id = g_next_id++;
    strncpy(g_boot_thread.name, "idle", sizeof g_boot_thread.name - 1);
    g_boot_thread.state = ThreadState::Running;
    g_boot_thread.priority = Priority::Idle;
    g_boot_thread.owns_stack = false;
    g_boot_thread.address_space_root = memory::kernel_page_table().root();
    x86::mmu::set_thread_address_space(g_boot_thread.address_space_root);
    g_all.push_back(g_boot_thread);
    g_stats.live_threads = 1;
    g_current = &g_boot_thread;
}

Thread* current() {
    return g_current;
}

nk::Result<Thread*> create_thread(const char* name, void (*entry)(void*), void* argument,
                                  Priority priority) {
    auto* thread = static_cast<Thread*>(kmalloc(sizeof(Thread)));
    if (!thread)
        return nk::Error::NoMemory;
    new (thread) Thread;
    auto stack = kernel_stacks::allocate();
    if (stack.is_error()) {
        kfree(thread);
        return stack.error();
    }
    strncpy(thread->name, name, sizeof thread->name - 1);
    thread->stack = stack.value();
    thread->priority = priority == Priority::Idle ? Priority::Low : priority;
    thread->entry = entry;
    thread->entry_argument = argument;
    thread->address_space_root = memory::kernel_page_table().root();
    thread->saved_rsp = x86::prepare_thread_stack(thread->stack.top, thread_main, thread);
    thread->entry_stack = thread->stack.top;
    thread->state = ThreadState::Blocked; // until start()

    x86::InterruptGuard guard;
    thread->id = g_next_id++;
    g_all.push_back(*thread);
    ++g_stats.threads_created;
    ++g_stats.live_threads;
    return thread;
}

void start(Thread* thread) {
    x86::InterruptGuard guard;
    make_ready(thread);
}

void exit_current() {
    x86::disable_interrupts();
    Thread* thread = g_current;
    if (thread == &g_boot_thread)
        panic("the idle thread tried to exit");
    if (thread->sleeping)
        remove_sleeper(thread);
    thread->state = ThreadState::Dead;
    ++g_stats.threads_exited;
    reschedule();
    panic("a dead thread was scheduled again");
}

void yield() {
    x86::InterruptGuard guard;
    reschedule();
}

void check_may_block() {
    if (irq::in_handler())
        panic("a blocking call (sleep, wait, lock) from interrupt context");
}

void block_current() {
    check_may_block();
    if (x86::interrupts_enabled())
        panic("block_current() with interrupts enabled: a wake-up could be lost");
    g_current->state = ThreadState::Blocked;
    reschedule();
}

void wake(Thread* thread) {
    x86::InterruptGuard guard;
    if (thread->state != ThreadState::Blocked)
        return;
    if (thread->sleeping)
        remove_sleeper(thread);
    if (thread->waiting_on) {
        thread->waiting_on->remove(*thread);
        thread->waiting_on = nullptr;
    }
    make_ready(thread);
}

void add_sleeper(Thread* thread, nk::u64 wake_tick) {
    thread->wake_tick = wake_tick;
    thread->sleeping = true;
    // Keep the list sorted so the tick handler only looks at its head.
    for (auto& other : g_sleepers) {
        if (other.wake_tick > wake_tick) {
            g_sleepers.insert_before(other, *thread);
            return;
        }
    }
    g_sleepers.push_back(*thread);
}

void remove_sleeper(Thread* thread) {
    if (thread->sleeping) {
        g_sleepers.remove(*thread);
        thread->sleeping = false;
    }
}

void sleep_ms(nk::u64 milliseconds) {
    check_may_block();
    x86::InterruptGuard guard;
    nk::u64 ticks = (milliseconds * clock::TICK_HZ + 999) / 1000;
    add_sleeper(g_current, clock::ticks() + (ticks ? ticks : 1));
    block_current();
}

void on_tick() {
    nk::u64 now = clock::ticks();
    while (Thread* first = g_sleepers.first()) {
        if (first->wake_tick > now)
            break;
        g_sleepers.remove(*first);
        first->sleeping = false;
        first->woken_by_timeout = true;
        if (first->waiting_on) {
            first->waiting_on->remove(*first);
            first->waiting_on = nullptr;
        }
        make_ready(first);
    }
    if (!g_current)
        return;
    ++g_current->run_ticks;
    if (g_current->slice_ticks_left > 0)
        --g_current->slice_ticks_left;
    if (g_current->slice_ticks_left == 0)
        g_need_resched = true;
}

void preempt_if_needed() {
    if (g_need_resched && g_current)
        reschedule();
}

Stats stats() {
    x86::InterruptGuard guard;
    return g_stats;
}

namespace {
nk::u64 g_halted_since; // TSC at the idle thread's hlt; 0 while it is not halted
nk::u64 g_idle_cycles;
} // namespace

void idle_halt() {
    x86::disable_interrupts();
    end_idle_halt(); // woken by something other than an interrupt (an NMI): counted all the same
    g_halted_since = x86::rdtsc();
    x86::enable_interrupts_and_halt();
}

void end_idle_halt() {
    if (!g_halted_since)
        return;
    g_idle_cycles += x86::rdtsc() - g_halted_since;
    g_halted_since = 0;
}

nk::u64 idle_cycles() {
    x86::InterruptGuard guard;
    return g_idle_cycles;
}

nk::u32 busy_percent(nk::u64 cycles, nk::u64 idle) {
    return cycles ? nk::u32((cycles - nk::min(idle, cycles)) * 100 / cycles) : 0;
}

void for_each_thread(void (*visit)(const Thread&, void*), void* context) {
    x86::InterruptGuard guard;
    for (auto& thread : g_all)
        visit(thread, context);
}

void set_kernel_entry_stack_hook(void (*hook)(nk::u64, nk::u64)) {
    g_entry_stack_hook = hook;
}

} // namespace sched
} // namespace kernel
