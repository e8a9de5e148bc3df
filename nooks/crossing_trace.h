// The last crossings of an extension, kept in a small ring per extension: which entry point the
// kernel called or which kernel service the extension called, with what arguments, what came
// back and when. Every fault report ends with it, and `ext trace NAME` prints it, so a driver's
// crash can be read from the serial log alone. Recording is a few stores with interrupts off.
#pragma once

#include <nk/types.h>

namespace nooks {

struct Extension;

constexpr unsigned TRACE_ENTRIES = 16;

enum class TraceDirection : nk::u8 {
    In,  // kernel -> extension: one of its entry points
    Out, // extension -> kernel: a service it imports
};

enum class TraceOutcome : nk::u8 { Pending, Returned, Aborted, Refused };

struct TraceEntry {
    nk::u64 sequence; // 1, 2, 3...; 0 marks an unused slot
    nk::u64 tsc;
    // In: the entry point's offset in the image plus one (a reload may move the image);
    // Out: 0, and `name` says which service.
    nk::u64 offset;
    const char* name;
    nk::u64 arguments[3];
    nk::u64 result;
    TraceDirection direction;
    TraceOutcome outcome;
};

struct CrossingTrace {
    TraceEntry entries[TRACE_ENTRIES];
    nk::u64 next_sequence;
};

// Starts an entry and returns its sequence number, for trace_end.
nk::u64 trace_begin(CrossingTrace& trace, TraceDirection direction, nk::u64 offset,
                    const char* name, nk::u64 a0, nk::u64 a1, nk::u64 a2);
// Completes the entry (if the ring has not reused its slot meanwhile).
void trace_end(CrossingTrace& trace, nk::u64 sequence, TraceOutcome outcome, nk::u64 result);

// Calls visit(entry) oldest first, for the entries in use.
template <typename Visit>
void trace_for_each(const CrossingTrace& trace, Visit visit) {
    nk::u64 first = trace.next_sequence > TRACE_ENTRIES ? trace.next_sequence - TRACE_ENTRIES : 0;
    for (nk::u64 sequence = first; sequence < trace.next_sequence; ++sequence) {
        const TraceEntry& entry = trace.entries[sequence % TRACE_ENTRIES];
        if (entry.sequence == sequence + 1)
            visit(entry);
    }
}

// A traced argument or result, whatever its type.
template <typename T>
nk::u64 trace_value(T value) {
    return nk::u64(value);
}
template <typename T>
nk::u64 trace_value(T* pointer) {
    return reinterpret_cast<nk::u64>(pointer);
}

} // namespace nooks
