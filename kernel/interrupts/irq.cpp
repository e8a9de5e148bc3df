#include <arch/x86/idt.h>
#include <arch/x86/interrupt_state.h>
#include <arch/x86/pic.h>
#include <kernel/interrupts/irq.h>
#include <kernel/process/processes.h>
#include <kernel/sched/scheduler.h>

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
};

Line g_lines[LINE_COUNT];
void (*g_exit_hook)(const x86::InterruptFrame&) = nullptr;

void dispatch(x86::InterruptFrame& frame) {
    auto line_number = nk::u8(frame.vector - x86::vector::IrqBase);
    Line& line = g_lines[line_number];
    if (x86::pic::is_spurious(line_number)) {
        ++line.spurious;
        return;
    }
    ++line.count;
    bool claimed = false;
    for (unsigned i = 0; i < line.handler_count; ++i)
        claimed |= line.handlers[i].handler(line.handlers[i].context);
    if (!claimed)
        ++line.unhandled;
    x86::pic::end_of_interrupt(line_number);
    // The interrupt may have woken a more important thread, or ended the slice: switch now, on
    // the way out (the interrupted context resumes by iretq when this thread runs again).
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
    if (line.handler_count == 1)
        x86::pic::unmask(nk::u8(line_number));
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

void set_exit_hook(void (*hook)(const x86::InterruptFrame&)) {
    g_exit_hook = hook;
}

LineStats stats(unsigned line_number) {
    if (line_number >= LINE_COUNT)
        return {};
    const Line& line = g_lines[line_number];
    return {line.count, line.unhandled, line.spurious, line.handler_count};
}

} // namespace kernel::irq
