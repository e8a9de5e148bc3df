// Hardware interrupt lines (IRQ 0-15 through the 8259 PICs): registration, dispatch, counters.
#pragma once

#include <arch/x86/interrupt_frame.h>
#include <nk/result.h>
#include <nk/types.h>

namespace kernel::irq {

constexpr unsigned LINE_COUNT = 16;
constexpr unsigned MAX_HANDLERS_PER_LINE = 4;

// Returns true when the handler's device raised the interrupt (lines may be shared).
using Handler = bool (*)(void* context);

void init();
// Error::Busy when the line already has MAX_HANDLERS_PER_LINE handlers; Error::Invalid for a
// line beyond 15. The line is unmasked when its first handler arrives.
nk::ErrorOr register_handler(unsigned line, Handler handler, void* context);
// Error::NoEntry when that (handler, context) pair is not registered on the line.
nk::ErrorOr unregister_handler(unsigned line, Handler handler, void* context);

struct LineStats {
    nk::u64 count;     // interrupts delivered on the line
    nk::u64 unhandled; // interrupts no handler claimed
    nk::u64 spurious;  // IRQ 7/15 with no in-service bit
    unsigned handlers;
    nk::u64 storms; // times the line was masked for an interrupt storm
    bool masked;    // masked now for a storm (until a handler registers again)
};

// An interrupt storm: within one STORM_WINDOW_MS window, at least STORM_MIN_INTERRUPTS on the
// line and more than half the time spent in its handlers — a device whose handler does not quiet
// it (a level-triggered line stays asserted and fires again at once). The line is masked and the
// hook (set by the Nooks subsystem, which charges the extension that owns the handler) is told,
// from interrupt context. Registering a handler on the line again unmasks it.
constexpr nk::u64 STORM_WINDOW_MS = 100;
constexpr nk::u64 STORM_MIN_INTERRUPTS = 200;
void set_storm_hook(void (*hook)(unsigned line));

// An extension's handler on the line is held back (its interrupt mask is up): the line stays
// masked until release_line. From interrupt context, or with interrupts off.
void hold_line(unsigned line);
void release_line(unsigned line);

// Asked on the way out of every hardware interrupt before a preemption: true keeps the
// interrupted thread running (an isolated extension inside an interrupts-off section).
void set_preemption_veto(bool (*veto)(const x86::InterruptFrame& frame));
LineStats stats(unsigned line);

// Whether the running code is an interrupt handler (an IRQ handler, or a timer callback run from
// the tick): code that must not block. Handlers run with interrupts off, so this cannot change
// under the caller.
bool in_handler();

// Called on the way out of every hardware interrupt, after the EOI (the Nooks watchdog).
void set_exit_hook(void (*hook)(const x86::InterruptFrame& frame));

} // namespace kernel::irq
