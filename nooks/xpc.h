// Cross-domain calls (XPC). Kernel -> extension: xpc_call() saves a recovery point, switches to
// the extension's page table and stack, calls, and switches back; if anything goes wrong inside
// (a fault, a failed wrapper check, the watchdog) the crossing is aborted and the caller gets
// Error::Aborted instead of a crash. Extension -> kernel: wrappers open a KernelEntry, which runs
// the kernel service under the thread's own page table and returns to the domain afterwards.
#pragma once

#include <arch/x86/domain_call.h>
#include <arch/x86/interrupt_frame.h>
#include <nk/result.h>
#include <nk/types.h>

namespace nooks {

struct Extension;

struct Crossing {
    x86::DomainRecoveryPoint point;
    Extension* extension;
    Crossing* outer;
    nk::u64 stack_bottom; // the domain stack this crossing runs on, [bottom, top)
    nk::u64 stack_top;
    nk::u64 start_tsc;    // the watchdog's clock: restarted whenever the thread blocks
    nk::u64 deadline_tsc; // a limit on the whole crossing, blocking included (0: none)
    bool aborted;
};

// The innermost crossing of the running thread, or nullptr.
Crossing* current_crossing();
// The extension the running thread is executing for (innermost crossing), or nullptr.
Extension* current_extension();

// Calls function(a0, a1, a2) inside the extension. Native extensions are called directly.
// Error::Aborted when the crossing was aborted (the extension faulted, hung, or failed a check);
// Error::Busy when the extension is not running (recovering, failed, disabled).
nk::Result<long> xpc_call(Extension& extension, x86::DomainFunction function, long a0 = 0,
                          long a1 = 0, long a2 = 0);

// As xpc_call, for a call that belongs to one incarnation of the extension (a device it
// registered before a restart): Error::NoDevice when the extension has been reloaded since.
nk::Result<long> xpc_call_incarnation(Extension& extension, nk::u64 incarnation,
                                      x86::DomainFunction function, long a0 = 0, long a1 = 0,
                                      long a2 = 0);

// As xpc_call, for a call that must finish within `limit_ms` of wall time even if it sleeps
// (init and exit: a re-init that polls a device forever must not hold its recovery).
nk::Result<long> xpc_call_bounded(Extension& extension, x86::DomainFunction function,
                                  nk::u64 limit_ms);

// Whether the crossing has run past its deadline (the watchdog and KernelEntry ask).
bool crossing_past_deadline(const Crossing& crossing);

// The natively loaded extension the running thread is executing (xpc_call into it), or
// nullptr: native kernel services use it to track what the extension registers.
Extension* native_caller();

template <typename Function>
x86::DomainFunction as_domain_function(Function function) {
    // Through an integer: the callee takes fewer arguments than the three registers the
    // crossing passes, which the System V calling convention makes harmless.
    return reinterpret_cast<x86::DomainFunction>(reinterpret_cast<nk::uptr>(function));
}

// The running thread blocked on the extension's behalf (a sleep, a mutex): the watchdog's clock
// for its crossing starts again — blocking is not hanging.
void restart_watchdog();

// Aborts the innermost crossing of the running thread: unwinds to its recovery point. The
// caller has already recorded why. Never returns.
[[noreturn]] void abort_current_crossing();

// Opens every wrapper. The service gate (service_call) has already left the domain for the
// thread's own page table; this makes the flags the kernel relies on certain (DF and AC clear).
class KernelEntry {
public:
    KernelEntry();
    ~KernelEntry();
    KernelEntry(const KernelEntry&) = delete;
    KernelEntry& operator=(const KernelEntry&) = delete;
};

// The XPC_SERVICE_VECTOR gate (arch/x86/domain_call.h): an isolated extension at CPL 1 calls
// the kernel service numbered RAX with the arguments in its registers and on its stack (which
// must be the crossing's own). The result goes back in RAX. On the way back into the domain:
// a torn-down extension is not resumed (the crossing is aborted), a bounded crossing past its
// limit fails, and a fault `ext crash` armed strikes there, at CPL 1.
void service_call(x86::InterruptFrame& frame);

// The preemption veto (kernel/interrupts/irq.h): the interrupt arrived in an isolated extension
// at CPL 1 while its interrupt mask was up — the thread holds one of its spinlocks.
bool veto_preemption(const x86::InterruptFrame& frame);

// From the exception path: true when the fault belongs to an extension crossing and was handled
// (the function then does not return: it unwinds the crossing).
bool handle_extension_fault(const x86::InterruptFrame& frame);

struct XpcStats {
    nk::u64 calls;
    nk::u64 aborts;
};
XpcStats xpc_stats();

} // namespace nooks
