#include <arch/x86/cpu.h>
#include <arch/x86/mmu.h>
#include <kernel/sched/scheduler.h>
#include <kernel/sync/semaphore.h>
#include <kernel/syscall/benchmarks.h>
#include <kernel/time/clock.h>

#include <stdio.h>

namespace kernel::syscalls {

namespace {

struct PingPong {
    Semaphore ping;
    Semaphore pong;
    unsigned rounds;
};

void pong_thread(void* argument) {
    auto* state = static_cast<PingPong*>(argument);
    for (unsigned i = 0; i < state->rounds; ++i) {
        state->ping.down();
        state->pong.up();
    }
}

// The caller hands a semaphore back and forth with a kernel thread: each round is two switches
// plus two semaphore operations on each side. When the caller runs in a process's address
// space, every switch also reloads CR3.
nk::u64 ping_pong_cycles(unsigned rounds) {
    PingPong state;
    state.rounds = rounds;
    auto thread = sched::create_thread("bench-pong", pong_thread, &state, Priority::High);
    if (thread.is_error())
        return 0;
    sched::start(thread.value());
    nk::u64 start = x86::rdtsc();
    for (unsigned i = 0; i < rounds; ++i) {
        state.ping.up();
        state.pong.down();
    }
    nk::u64 cycles = x86::rdtsc() - start;
    return cycles / (2 * rounds);
}

struct KernelPing {
    unsigned rounds;
    nk::u64 cycles;
    Semaphore done;
};

void ping_thread(void* argument) {
    auto* state = static_cast<KernelPing*>(argument);
    state->cycles = ping_pong_cycles(state->rounds);
    state->done.up();
}

// Both ends are kernel threads: the same address space, so no CR3 load on the switch.
nk::u64 kernel_switch_cycles(unsigned rounds) {
    KernelPing state;
    state.rounds = rounds;
    state.cycles = 0;
    auto thread = sched::create_thread("bench-ping", ping_thread, &state, Priority::High);
    if (thread.is_error())
        return 0;
    sched::start(thread.value());
    state.done.down();
    return state.cycles;
}

nk::u64 indirect_call_cycles(unsigned iterations) {
    static volatile nk::u64 sink = 0;
    void (*volatile function)() = [] { sink = sink + 1; };
    nk::u64 start = x86::rdtsc();
    for (unsigned i = 0; i < iterations; ++i)
        function();
    return (x86::rdtsc() - start) / iterations;
}

} // namespace

nk::usize run_kernel_benchmarks(char* buffer, nk::usize size) {
    nk::u64 switch_cycles = kernel_switch_cycles(2000);
    nk::u64 cross_cycles = ping_pong_cycles(2000);
    nk::u64 cr3_cycles = x86::mmu::measure_cr3_reload_cycles(64);
    nk::u64 call_cycles = indirect_call_cycles(100000);
    int length = snprintf(buffer, size,
                          "context switch, kernel thread to kernel thread: %llu cycles (%llu ns)\n"
                          "context switch, process thread to kernel thread (CR3 load): %llu cycles\n"
                          "CR3 reload (best of 64): %llu cycles\n"
                          "indirect call: %llu cycles\n"
                          "TSC: %llu Hz\n",
                          (unsigned long long)switch_cycles,
                          (unsigned long long)clock::cycles_to_nanoseconds(switch_cycles),
                          (unsigned long long)cross_cycles,
                          (unsigned long long)cr3_cycles, (unsigned long long)call_cycles,
                          (unsigned long long)clock::tsc_hz());
    return length > 0 ? nk::min(nk::usize(length), size - 1) : 0;
}

} // namespace kernel::syscalls
