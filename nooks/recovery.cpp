#include <arch/x86/cpu.h>
#include <arch/x86/idt.h>
#include <arch/x86/interrupt_state.h>
#include <kernel/debug/panic.h>
#include <kernel/sched/scheduler.h>
#include <kernel/time/clock.h>
#include <nooks/extension_manager.h>
#include <nooks/extension_thread.h>
#include <nooks/recovery.h>
#include <nooks/xpc.h>

#include <stdio.h>
#include <string.h>

namespace nooks {

namespace {

RecoveryStats g_stats;

// Recovery proper, in the deferred-work thread (it may sleep).
void recover(void* argument) {
    auto& extension = *static_cast<Extension*>(argument);
    nk::u64 start = x86::rdtsc();
    // Every thread must be out of the extension before its memory goes: threads inside the
    // kernel on its behalf abort their crossings on the way back (KernelEntry).
    // Its own threads are asked to stop and woken, its mutexes broken open.
    if (drain_extension(extension).is_error()) {
        kprintf("nooks: '%s': threads still inside after 2 s; left disabled, not freed\n",
                extension.name);
        extension.state = ExtensionState::Disabled;
        return;
    }
    RestartDecision decision =
        decide_restart(extension.restart_times_ns, kernel::clock::nanoseconds_since_boot());
    nk::u64 backoff_ms = decision.backoff_ms;
    if (!decision.allowed) {
        extension.state = ExtensionState::Disabled;
        ++g_stats.disabled;
        kprintf("nooks: '%s' failed %u times within %llu s: disabled (ext restart %s to try "
                "again)\n",
                extension.name, MAX_RESTARTS, (unsigned long long)(RESTART_WINDOW_NS / 1000000000),
                extension.name);
        return;
    }
    if (backoff_ms)
        kernel::sched::sleep_ms(backoff_ms);
    LoadProblem problem = {};
    auto reloaded = reload_extension(extension, &problem);
    nk::u64 micros = kernel::clock::cycles_to_nanoseconds(x86::rdtsc() - start) / 1000;
    extension.last_fault.recovery_us = micros;
    g_stats.last_recovery_us = micros;
    if (reloaded.is_error()) {
        extension.state = ExtensionState::Failed;
        kprintf("nooks: '%s' could not be restarted: %s (%s)\n", extension.name,
                nk::error_string(reloaded.error()), problem.message);
        return;
    }
    remember_restart(extension.restart_times_ns, extension.restarts,
                     kernel::clock::nanoseconds_since_boot());
    ++extension.restarts;
    ++g_stats.recoveries;
    kprintf("nooks: '%s' recovered in %llu us (restart %llu)\n", extension.name,
            (unsigned long long)micros, (unsigned long long)extension.restarts);
}

void begin_recovery(Extension& extension) {
    ++extension.faults;
    extension.has_fault = true;
    // Being unloaded: the unload frees it once its threads are out; nothing to restart.
    if (extension.state == ExtensionState::Stopping)
        return;
    // Another of its threads faulted first: that recovery covers this one too.
    if (extension.state == ExtensionState::Recovering)
        return;
    extension.state = ExtensionState::Recovering;
    extension.recovery_work.set(recover, &extension);
    extension.recovery_work.schedule();
}

} // namespace

void record_fault(Extension& extension, const x86::InterruptFrame& frame) {
    FaultRecord& fault = extension.last_fault;
    fault = {};
    fault.vector = frame.vector;
    fault.error_code = frame.error_code;
    fault.rip = frame.rip;
    if (frame.vector == x86::vector::PageFault)
        asm volatile("mov %%cr2, %0" : "=r"(fault.address));
    if (!extension.module.symbolize(frame.rip, fault.where, sizeof fault.where)) {
        // Kernel code running for it: a wrapper, or a fault injected by `ext crash`.
        char kernel_symbol[80];
        snprintf(fault.where, sizeof fault.where, "%s (kernel code, for the extension)",
                 kernel::symbolize(frame.rip, kernel_symbol, sizeof kernel_symbol));
    }
    snprintf(fault.cause, sizeof fault.cause, "%s", x86::exception_name(frame.vector));
    kprintf("nooks: extension '%s' faulted: %s at %s", extension.name, fault.cause, fault.where);
    if (frame.vector == x86::vector::PageFault)
        kprintf(", address 0x%llx (%s)", (unsigned long long)fault.address,
                frame.error_code & 2 ? "write" : "read");
    kprintf("; recovering\n");
    begin_recovery(extension);
}

void record_failure(Extension& extension, const char* cause, nk::u64 rip) {
    FaultRecord& fault = extension.last_fault;
    fault = {};
    fault.vector = 0x100;
    fault.rip = rip;
    snprintf(fault.cause, sizeof fault.cause, "%s", cause);
    if (!extension.module.symbolize(rip, fault.where, sizeof fault.where))
        snprintf(fault.where, sizeof fault.where, "0x%llx", (unsigned long long)rip);
    kprintf("nooks: extension '%s' failed: %s; recovering\n", extension.name, cause);
    begin_recovery(extension);
}

nk::ErrorOr restart_extension(Extension& extension) {
    if (extension.mode != ExtensionMode::Isolated)
        return nk::Error::NotSupported;
    if (extension.active_crossings > extension.tracker.count(ObjectKind::Thread))
        return nk::Error::Busy;
    // A manual restart starts a fresh policy window.
    for (auto& when : extension.restart_times_ns)
        when = 0;
    extension.state = ExtensionState::Recovering;
    recover(&extension);
    return extension.state == ExtensionState::Running ? nk::ErrorOr() : nk::Error::IO;
}

void watchdog_tick() {
    Crossing* crossing = current_crossing();
    if (!crossing || crossing->aborted)
        return;
    nk::u64 elapsed_ns = kernel::clock::cycles_to_nanoseconds(x86::rdtsc() - crossing->start_tsc);
    if (elapsed_ns < WATCHDOG_LIMIT_MS * 1000000)
        return;
    char cause[64];
    snprintf(cause, sizeof cause, "watchdog: ran %llu ms without returning",
             (unsigned long long)(elapsed_ns / 1000000));
    record_failure(*crossing->extension, cause, 0);
    abort_current_crossing();
}

RecoveryStats recovery_stats() {
    return g_stats;
}

} // namespace nooks
