#include <arch/x86/cpu.h>
#include <arch/x86/idt.h>
#include <arch/x86/interrupt_state.h>
#include <arch/x86/pic.h>
#include <kernel/interrupts/irq.h>
#include <kernel/process/processes.h>
#include <kernel/sched/scheduler.h>
#include <kernel/time/clock.h>

#include <stdio.h>

namespace kernel::irq {

namespace {

struct Registration {
    Handler handler;
    void* context;
};

struct Line {
    Registration handlers[MAX_HANDLERS_PER_LINE];
    unsigned handler_count;
    nk::u64 count;
    nk::u64 unhandled;
    nk::u64 spurious;
    // Storm detection: the current window's start, interrupts and cycles spent in handlers.
    nk::u64 window_start;
    nk::u64 window_count;
    nk::u64 window_unclaimed; // interrupts no handler claimed
    nk::u64 window_busy;
    nk::u64 storms;
    bool storm_masked;
    bool held; // masked by hold_line until release_line (or a new handler)
};

Line g_lines[LINE_COUNT];
unsigned g_handler_depth = 0;
void (*g_exit_hook)(const x86::InterruptFrame&) = nullptr;
void (*g_storm_hook)(unsigned) = nullptr;
bool (*g_preemption_veto)(const x86::InterruptFrame&) = nullptr;

// After each interrupt on the line: account for it, and at the end of a window decide whether
// the line is storming.
void watch_for_storm(unsigned line_number, Line& line, nk::u64 start, nk::u64 end, bool claimed) {
    ++line.window_count;
    if (!claimed)
        ++line.window_unclaimed;
    line.window_busy += end - start;
    nk::u64 window = clock::milliseconds_to_cycles(STORM_WINDOW_MS);
    if (end - line.window_start < window)
        return;
    // Never the clock (IRQ 0): masking it would stop time; its callbacks are bounded otherwise.
    // A storm: handlers busy more than half the time — or a line asserted again and again that
    // no handler claims (a level-triggered device whose driver is gone), where the time goes
    // into entering and leaving the interrupt, not into handlers.
    bool storm = line_number != 0 && line.window_count >= STORM_MIN_INTERRUPTS &&
                 (line.window_busy > (end - line.window_start) / 2 ||
                  line.window_unclaimed >= STORM_MIN_INTERRUPTS);
    nk::u64 interrupts = line.window_count;
    nk::u64 percent = line.window_busy * 100 / (end - line.window_start);
    line.window_start = end;
    line.window_count = 0;
    line.window_unclaimed = 0;
    line.window_busy = 0;
    if (!storm)
        return;
    ++line.storms;
    line.storm_masked = true;
    x86::pic::mask(nk::u8(line_number));
    kprintf("irq: interrupt storm on IRQ %u: %llu interrupts, %llu%% of the time in its "
            "handlers; line masked\n",
            line_number, (unsigned long long)interrupts, (unsigned long long)percent);
    if (g_storm_hook)
        g_storm_hook(line_number);
}

void dispatch(x86::InterruptFrame& frame) {
    sched::end_idle_halt();
    auto line_number = nk::u8(frame.vector - x86::vector::IrqBase);
    Line& line = g_lines[line_number];
    if (x86::pic::is_spurious(line_number)) {
        ++line.spurious;
        return;
    }
    ++line.count;
    bool claimed = false;
    nk::u64 start = x86::rdtsc();
    ++g_handler_depth;
    for (unsigned i = 0; i < line.handler_count; ++i)
        claimed |= line.handlers[i].handler(line.handlers[i].context);
    --g_handler_depth;
    watch_for_storm(line_number, line, start, x86::rdtsc(), claimed);
    if (!claimed)
        ++line.unhandled;
    x86::pic::end_of_interrupt(line_number);
    // The interrupt may have woken a more important thread, or ended the slice: switch now, on
    // the way out (the interrupted context resumes by iretq when this thread runs again).
    if (!g_preemption_veto || !g_preemption_veto(frame))
        sched::preempt_if_needed();
    if (g_exit_hook)
        g_exit_hook(frame);
    // Back to a process that was killed meanwhile (say, one spinning in user mode): end it now.
    if (frame.from_user())
        processes::check_pending_kill();
}

} // namespace

void init() {
    x86::pic::init();
    for (unsigned line = 0; line < LINE_COUNT; ++line)
        x86::set_interrupt_handler(nk::u8(x86::vector::IrqBase + line), dispatch);
}

nk::ErrorOr register_handler(unsigned line_number, Handler handler, void* context) {
    if (line_number >= LINE_COUNT || !handler)
        return nk::Error::Invalid;
    x86::InterruptGuard guard;
    Line& line = g_lines[line_number];
    if (line.handler_count == MAX_HANDLERS_PER_LINE)
        return nk::Error::Busy;
    line.handlers[line.handler_count++] = {handler, context};
    // The first handler, or a new one on a line masked for a storm or held (the driver
    // restarted).
    if (line.handler_count == 1 || line.storm_masked || line.held) {
        line.storm_masked = false;
        line.held = false;
        line.window_start = x86::rdtsc();
        line.window_count = line.window_busy = line.window_unclaimed = 0;
        x86::pic::unmask(nk::u8(line_number));
    }
    return {};
}

nk::ErrorOr unregister_handler(unsigned line_number, Handler handler, void* context) {
    if (line_number >= LINE_COUNT)
        return nk::Error::Invalid;
    x86::InterruptGuard guard;
    Line& line = g_lines[line_number];
    for (unsigned i = 0; i < line.handler_count; ++i) {
        if (line.handlers[i].handler == handler && line.handlers[i].context == context) {
            line.handlers[i] = line.handlers[--line.handler_count];
            if (line.handler_count == 0)
                x86::pic::mask(nk::u8(line_number));
            return {};
        }
    }
    return nk::Error::NoEntry;
}

bool in_handler() {
    return g_handler_depth != 0;
}

void set_exit_hook(void (*hook)(const x86::InterruptFrame&)) {
    g_exit_hook = hook;
}

void set_storm_hook(void (*hook)(unsigned)) {
    g_storm_hook = hook;
}

void hold_line(unsigned line) {
    x86::InterruptGuard guard;
    if (line < LINE_COUNT) {
        g_lines[line].held = true;
        x86::pic::mask(nk::u8(line));
    }
}

void release_line(unsigned line) {
    x86::InterruptGuard guard;
    if (line >= LINE_COUNT)
        return;
    g_lines[line].held = false;
    if (g_lines[line].handler_count && !g_lines[line].storm_masked)
        x86::pic::unmask(nk::u8(line));
}

void set_preemption_veto(bool (*veto)(const x86::InterruptFrame&)) {
    g_preemption_veto = veto;
}

LineStats stats(unsigned line_number) {
    if (line_number >= LINE_COUNT)
        return {};
    const Line& line = g_lines[line_number];
    return {line.count,         line.unhandled, line.spurious,
            line.handler_count, line.storms,    line.storm_masked};
}

} // namespace kernel::irq
