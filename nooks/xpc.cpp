#include <arch/x86/cpu.h>
#include <arch/x86/interrupt_state.h>
#include <arch/x86/mmu.h>
#include <kernel/debug/panic.h>
#include <kernel/sched/scheduler.h>
#include <kernel/time/clock.h>
#include <nooks/crash_test.h>
#include <nooks/extension_manager.h>
#include <nooks/fault_injection.h>
#include <nooks/isolated_api.h>
#include <nooks/recovery.h>
#include <nooks/xpc.h>

#include <stdio.h>

namespace nooks {

namespace {

XpcStats g_stats;

Crossing*& innermost() {
    return reinterpret_cast<Crossing*&>(kernel::sched::current()->nooks_crossing);
}

} // namespace

Crossing* current_crossing() {
    return innermost();
}

Extension* current_extension() {
    Crossing* crossing = innermost();
    return crossing ? crossing->extension : nullptr;
}

namespace {
nk::Result<long> enter(Extension& extension, nk::u64 incarnation, nk::u64 limit_ms,
                       x86::DomainFunction function, long a0, long a1, long a2);
} // namespace

nk::Result<long> xpc_call(Extension& extension, x86::DomainFunction function, long a0, long a1,
                          long a2) {
    return enter(extension, 0, 0, function, a0, a1, a2);
}

nk::Result<long> xpc_call_incarnation(Extension& extension, nk::u64 incarnation,
                                      x86::DomainFunction function, long a0, long a1, long a2) {
    return enter(extension, incarnation, 0, function, a0, a1, a2);
}

nk::Result<long> xpc_call_bounded(Extension& extension, x86::DomainFunction function,
                                  nk::u64 limit_ms) {
    return enter(extension, 0, limit_ms, function, 0, 0, 0);
}

bool crossing_past_deadline(const Crossing& crossing) {
    return crossing.deadline_tsc && x86::rdtsc() > crossing.deadline_tsc;
}

namespace {

nk::Result<long> enter(Extension& extension, nk::u64 incarnation, nk::u64 limit_ms,
                       x86::DomainFunction function, long a0, long a1, long a2) {
    // Counted first, checked second: recovery and unload change the state first and then wait
    // for active_crossings to reach zero, so a call either sees the change and backs out, or was
    // counted before it and is waited for — the image cannot go while a call is inside.
    __atomic_add_fetch(&extension.active_crossings, 1, __ATOMIC_SEQ_CST);
    if (!accepts_calls(extension.state) || (incarnation && incarnation != extension.incarnation)) {
        __atomic_sub_fetch(&extension.active_crossings, 1, __ATOMIC_SEQ_CST);
        return !accepts_calls(extension.state) ? nk::Error::Busy : nk::Error::NoDevice;
    }
    ++extension.crossings;
    ++g_stats.calls;
    // Keyed by offset in the image (plus one, 0 marks a free slot): a reload may put the module
    // at another address, and the counts span recoveries.
    nk::u64 offset = reinterpret_cast<nk::u64>(function) - extension.module.base() + 1;
    count_function_call(extension.entry_calls, offset, nullptr);
    const char* injected = nullptr;
    // `ext crash` armed a fault: this crossing runs it instead of the entry point.
    if (extension.armed_fault >= 0) {
        if (int kind = take_armed_fault(extension); kind >= 0) {
            function = as_domain_function(injected_fault);
            a0 = kind;
            a1 = long(crash_victim_address());
            injected = "ext-crash";
            offset = 0;
        }
    }
    nk::u64 traced = trace_begin(extension.trace, TraceDirection::In, offset, injected, nk::u64(a0),
                                 nk::u64(a1), nk::u64(a2));
    if (extension.mode == ExtensionMode::Native) {
        // No domain to switch to; the kernel services it calls still learn who is calling.
        kernel::Thread* self = kernel::sched::current();
        void* outer = self->nooks_native_extension;
        self->nooks_native_extension = &extension;
        long result = function(a0, a1, a2);
        self->nooks_native_extension = outer;
        trace_end(extension.trace, traced, TraceOutcome::Returned, nk::u64(result));
        __atomic_sub_fetch(&extension.active_crossings, 1, __ATOMIC_SEQ_CST);
        return result;
    }

    // The domain stack: a thread already running inside this extension (it called the kernel,
    // which calls back in) continues below its current position; anyone else takes a stack from
    // the extension's pool.
    Crossing crossing = {};
    crossing.extension = &extension;
    crossing.outer = innermost();
    crossing.start_tsc = x86::rdtsc();
    if (limit_ms)
        crossing.deadline_tsc =
            crossing.start_tsc + kernel::clock::milliseconds_to_cycles(limit_ms);
    // A stack from the extension's pool, also when the thread is inside the extension already
    // (it called the kernel, which calls back in): where that crossing's stack pointer is, the
    // kernel cannot know when an interrupt brought it in.
    int stack_index = acquire_domain_stack(extension);
    if (stack_index < 0) {
        trace_end(extension.trace, traced, TraceOutcome::Aborted, 0);
        __atomic_sub_fetch(&extension.active_crossings, 1, __ATOMIC_SEQ_CST);
        return nk::Error::Busy;
    }
    nk::u64 stack_top = extension.stacks[stack_index].top;
    crossing.stack_top = stack_top;
    crossing.stack_bottom = extension.stacks[stack_index].region.base;
    innermost() = &crossing;
    long result =
        x86::x86_domain_call(&crossing.point, extension.domain->root() | extension.domain->pcid(),
                             stack_top, function, a0, a1, a2);
    innermost() = crossing.outer;
    __atomic_sub_fetch(&extension.active_crossings, 1, __ATOMIC_SEQ_CST);
    if (stack_index >= 0)
        release_domain_stack(extension, stack_index);
    trace_end(extension.trace, traced,
              crossing.aborted ? TraceOutcome::Aborted : TraceOutcome::Returned, nk::u64(result));
    // The outermost crossing of this thread into the extension returned with the extension's
    // interrupt mask still up: a spinlock never released (the CPL 1 form of a `cli` left on).
    if (!crossing.aborted && extension.irq_mask && extension.irq_mask[0] != 0 &&
        !(crossing.outer && crossing.outer->extension == &extension) &&
        accepts_calls(extension.state)) {
        record_failure(extension, "returned with its interrupt mask up (a spinlock held)", 0);
        crossing.aborted = true;
    }
    if (crossing.aborted) {
        ++g_stats.aborts;
        return nk::Error::Aborted;
    }
    return result;
}

} // namespace

Extension* native_caller() {
    return static_cast<Extension*>(kernel::sched::current()->nooks_native_extension);
}

void restart_watchdog() {
    if (Crossing* crossing = innermost())
        crossing->start_tsc = x86::rdtsc();
}

void abort_current_crossing() {
    Crossing* crossing = innermost();
    crossing->aborted = true;
    x86::x86_domain_abort(&crossing->point, -long(nk::Error::Aborted));
}

KernelEntry::KernelEntry() {
    x86::sanitize_flags();
}

// Leaving the kernel is the gate's business (service_call, after the wrapper has returned).
KernelEntry::~KernelEntry() = default;

namespace {

// Arguments beyond the six in registers, copied from the extension's stack (nk_log's variadic
// ones, say).
constexpr unsigned STACK_ARGUMENTS = 8;
using ServiceFunction = long (*)(long, long, long, long, long, long, long, long, long, long, long,
                                 long, long, long);

[[noreturn]] void fail_service(Extension& extension, const char* cause) {
    record_failure(extension, cause, 0);
    abort_current_crossing();
}

} // namespace

void service_call(x86::InterruptFrame& frame) {
    Crossing* crossing = innermost();
    if (!crossing)
        kernel::panic("service gate raised outside any crossing (rip 0x%llx)",
                      (unsigned long long)frame.rip);
    Extension& extension = *crossing->extension;
    char cause[112];
    if ((frame.cs & 3) != 1) {
        snprintf(cause, sizeof cause, "service gate raised at CPL %llu",
                 (unsigned long long)(frame.cs & 3));
        fail_service(extension, cause);
    }
    auto exports = isolated_exports();
    if (frame.rax >= exports.size()) {
        snprintf(cause, sizeof cause, "service call %llu: no such service",
                 (unsigned long long)frame.rax);
        fail_service(extension, cause);
    }
    // The stack arguments come from the crossing's own stack, nowhere else (the words above the
    // return address, as far as the stack goes).
    if (frame.rsp < crossing->stack_bottom || frame.rsp > crossing->stack_top - 8) {
        snprintf(cause, sizeof cause, "service call with its stack pointer 0x%llx off its stack",
                 (unsigned long long)frame.rsp);
        fail_service(extension, cause);
    }
    long stack[STACK_ARGUMENTS] = {};
    nk::u64 available = (crossing->stack_top - frame.rsp - 8) / 8;
    for (nk::u64 i = 0; i < STACK_ARGUMENTS && i < available; ++i)
        stack[i] = reinterpret_cast<const long*>(frame.rsp + 8)[i];
    // Services run as the crossing began: interrupts on, except in an IRQ handler or timer —
    // or inside one of the extension's interrupts-off sections (its mask is up), as they would
    // natively under its `cli`: nothing else of the extension may run meanwhile.
    bool masked = extension.irq_mask && extension.irq_mask[0] != 0;
    bool interrupts = (crossing->point.rflags & 0x200) && !masked;
    if (interrupts)
        x86::enable_interrupts();
    long result = reinterpret_cast<ServiceFunction>(exports[frame.rax].address)(
        long(frame.rdi), long(frame.rsi), long(frame.rdx), long(frame.rcx), long(frame.r8),
        long(frame.r9), stack[0], stack[1], stack[2], stack[3], stack[4], stack[5], stack[6],
        stack[7]);
    if (interrupts)
        x86::disable_interrupts();
    frame.rax = nk::u64(result);
    // The extension may have been torn down while this thread was in the kernel on its behalf
    // (recovery after another thread's fault): never return into a dead domain.
    if (!accepts_calls(extension.state))
        abort_current_crossing();
    // A bounded crossing (init, exit) that slept past its limit: a hang that blocking hid from
    // the watchdog.
    if (crossing_past_deadline(*crossing))
        fail_service(extension, "ran past its time limit (sleeping included)");
    // `ext crash` armed a fault: it strikes back in the domain, at CPL 1, as if the service had
    // returned into it (its return goes where the service's would have).
    if (extension.armed_fault >= 0) {
        if (int kind = take_armed_fault(extension); kind >= 0) {
            frame.rip = reinterpret_cast<nk::u64>(&injected_fault);
            frame.rdi = nk::u64(kind);
            frame.rsi = crash_victim_address();
        }
    }
}

bool veto_preemption(const x86::InterruptFrame& frame) {
    if ((frame.cs & 3) != 1)
        return false;
    Extension* extension = current_extension();
    return extension && extension->irq_mask && extension->irq_mask[0] != 0;
}

bool handle_extension_fault(const x86::InterruptFrame& frame) {
    Crossing* crossing = innermost();
    if (!crossing || crossing->extension->mode != ExtensionMode::Isolated)
        return false;
    // Faults inside the domain (its CR3 was loaded) and faults in kernel code running for it
    // (wrappers) both belong to the extension: the crossing is aborted either way.
    record_fault(*crossing->extension, frame);
    abort_current_crossing();
}

XpcStats xpc_stats() {
    return g_stats;
}

} // namespace nooks
