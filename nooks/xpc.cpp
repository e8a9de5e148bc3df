#include <arch/x86/cpu.h>
#include <arch/x86/interrupt_state.h>
#include <arch/x86/mmu.h>
#include <kernel/sched/scheduler.h>
#include <kernel/time/clock.h>
#include <nooks/crash_test.h>
#include <nooks/extension_manager.h>
#include <nooks/fault_injection.h>
#include <nooks/recovery.h>
#include <nooks/xpc.h>

#include <stdio.h>

namespace nooks {

namespace {

XpcStats g_stats;

Crossing*& innermost() {
    return reinterpret_cast<Crossing*&>(kernel::sched::current()->nooks_crossing);
}

nk::u64 current_rsp() {
    nk::u64 rsp;
    asm volatile("mov %%rsp, %0" : "=r"(rsp));
    return rsp;
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
    if (!accepts_calls(extension.state) ||
        (incarnation && incarnation != extension.incarnation)) {
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
    nk::u64 traced = trace_begin(extension.trace, TraceDirection::In, offset, injected,
                                 nk::u64(a0), nk::u64(a1), nk::u64(a2));
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
    nk::u64 stack_top;
    int stack_index = -1;
    bool nested = crossing.outer && crossing.outer->extension == &extension;
    if (nested) {
        stack_top = nk::align_down(current_rsp() - 512, 16);
    } else {
        stack_index = acquire_domain_stack(extension);
        if (stack_index < 0) {
            trace_end(extension.trace, traced, TraceOutcome::Aborted, 0);
            __atomic_sub_fetch(&extension.active_crossings, 1, __ATOMIC_SEQ_CST);
            return nk::Error::Busy;
        }
        stack_top = extension.stacks[stack_index].top;
    }
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

KernelEntry::KernelEntry() : m_domain_cr3(0) {
    x86::sanitize_flags();
    if (!innermost())
        return;
    m_domain_cr3 = x86::read_address_space();
    // The thread's own table uses PCID 0.
    x86::enter_address_space(x86::mmu::thread_address_space());
}

KernelEntry::~KernelEntry() {
    if (!m_domain_cr3)
        return;
    // The extension may have been torn down while this thread was in the kernel on its behalf
    // (recovery after another thread's fault): never return into a dead domain.
    Crossing* crossing = innermost();
    if (crossing && !accepts_calls(crossing->extension->state))
        abort_current_crossing();
    // A bounded crossing (init, exit) that slept past its limit: a hang that blocking hid from
    // the watchdog.
    if (crossing && crossing_past_deadline(*crossing)) {
        record_failure(*crossing->extension, "ran past its time limit (sleeping included)", 0);
        abort_current_crossing();
    }
    // `ext crash` armed a fault: it strikes back in the domain, as the extension resumes (taken
    // here: the extension's record is read-only under the domain's table).
    int armed = crossing && crossing->extension->armed_fault >= 0
                    ? take_armed_fault(*crossing->extension)
                    : -1;
    x86::enter_address_space(m_domain_cr3);
    if (armed >= 0)
        (void)injected_fault(armed, long(crash_victim_address()));
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
