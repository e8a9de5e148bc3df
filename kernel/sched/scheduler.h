// The scheduler: preemptive round robin within four priority levels, driven by the timer tick.
// Switches happen with interrupts disabled; a thread's interrupt state is restored by whatever
// path it resumes on (its own InterruptGuard, or the iretq of an interrupted context).
#pragma once

#include <kernel/sched/thread.h>
#include <nk/result.h>

namespace kernel::sched {

constexpr nk::u64 TIME_SLICE_TICKS = 10; // 10 ms at 1 kHz

// Adopts the running boot context as the idle thread.
void init();
Thread* current();

// A new thread that runs entry(argument); it starts when start() is called. The thread ends by
// returning from entry or by calling exit_current().
nk::Result<Thread*> create_thread(const char* name, void (*entry)(void*), void* argument,
                                  Priority priority = Priority::Normal);
void start(Thread* thread);
// Ends the current thread. Its stack and Thread are freed once another thread runs.
[[noreturn]] void exit_current();

void yield();
void sleep_ms(nk::u64 milliseconds);

// Every call that may block starts here: blocking in an interrupt handler would leave the
// interrupted thread (often the idle thread) blocked, so it panics instead — before the thread
// is put on any list. Inside an isolated extension's crossing the panic fails the extension.
void check_may_block();

// For wait queues: block the current thread (interrupts must be disabled) and run another.
void block_current();
// Makes a blocked thread runnable (interrupts disabled or not).
void wake(Thread* thread);

// Timer tick (interrupt context): wakes sleepers, charges the running thread's slice.
void on_tick();
// Called on the way out of an interrupt: switch if a higher-priority thread woke or the slice
// ran out.
void preempt_if_needed();

// Sleep list support for WaitQueue::wait_for.
void add_sleeper(Thread* thread, nk::u64 wake_tick);
void remove_sleeper(Thread* thread);

struct Stats {
    nk::u64 context_switches;
    nk::u64 threads_created;
    nk::u64 threads_exited;
    nk::u64 live_threads;
};
Stats stats();
// The idle thread's halts, in TSC cycles, from its `hlt` to the interrupt that ends it: exact
// where sampling at ticks is not — an emulator that skips a halted CPU's time to its next timer
// interrupt (Bochs without clock sync) makes every tick find it idle.
void idle_halt();      // the idle loop's body
void end_idle_halt();  // called first by every interrupt handler
nk::u64 idle_cycles(); // in total since boot
// The busy share in percent of an interval of `cycles` of which `idle` were halted.
nk::u32 busy_percent(nk::u64 cycles, nk::u64 idle);

// Calls `visit` for every live thread (interrupts disabled during the walk: keep it short).
void for_each_thread(void (*visit)(const Thread& thread, void* context), void* context);

// Hook the process layer sets: which stacks the CPU loads when it enters ring 0 from this thread
// — TSS.RSP0 (the thread's stack top, or the trampoline while it is inside a protection domain)
// and the syscall entry stack (always its stack top: system calls come from ring 3 only).
void set_kernel_entry_stack_hook(void (*hook)(nk::u64 rsp0, nk::u64 syscall_stack));

} // namespace kernel::sched
