#include <arch/x86/cpu.h>
#include <arch/x86/interrupt_state.h>
#include <nooks/crossing_trace.h>

namespace nooks {

nk::u64 trace_begin(CrossingTrace& trace, TraceDirection direction, nk::u64 offset,
                    const char* name, nk::u64 a0, nk::u64 a1, nk::u64 a2) {
    x86::InterruptGuard guard;
    nk::u64 sequence = ++trace.next_sequence;
    trace.entries[(sequence - 1) % TRACE_ENTRIES] = {
        sequence, x86::rdtsc(), offset, name, {a0, a1, a2}, 0, direction, TraceOutcome::Pending};
    return sequence;
}

void trace_end(CrossingTrace& trace, nk::u64 sequence, TraceOutcome outcome, nk::u64 result) {
    x86::InterruptGuard guard;
    TraceEntry& entry = trace.entries[(sequence - 1) % TRACE_ENTRIES];
    if (entry.sequence != sequence)
        return;
    entry.outcome = outcome;
    entry.result = result;
}

} // namespace nooks
