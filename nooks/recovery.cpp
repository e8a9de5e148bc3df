#include <arch/x86/cpu.h>
#include <arch/x86/idt.h>
#include <arch/x86/interrupt_state.h>
#include <kernel/debug/panic.h>
#include <kernel/sched/scheduler.h>
#include <kernel/time/clock.h>
#include <nooks/device_classes.h>
#include <nooks/extension_manager.h>
#include <nooks/extension_thread.h>
#include <nooks/fs_proxy.h>
#include <nooks/recovery.h>
#include <nooks/socket_class.h>
#include <nooks/xpc.h>

#include <stdio.h>
#include <string.h>

namespace nooks {

namespace {

RecoveryStats g_stats;

// Recovery proper, in a thread of its own (it may sleep, and a re-init that hangs must not hold
// up the recovery of any other extension).
void restart(Extension& extension) {
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
    if (!decision.allowed) {
        extension.state = ExtensionState::Disabled;
        release_extension_resources(extension);
        ++g_stats.disabled;
        kprintf("nooks: '%s' failed %u times within %llu s: disabled (ext restart %s to try "
                "again)\n",
                extension.name, MAX_RESTARTS, (unsigned long long)(RESTART_WINDOW_NS / 1000000000),
                extension.name);
        return;
    }
    if (decision.backoff_ms)
        kernel::sched::sleep_ms(decision.backoff_ms);
    // Every attempt counts, successful or not: a module whose init always faults reaches the
    // policy's limit like one that faults right after starting.
    remember_restart(extension.restart_times_ns, extension.restarts,
                     kernel::clock::nanoseconds_since_boot());
    ++extension.restarts;
    LoadProblem problem = {};
    auto reloaded = reload_extension(extension, &problem);
    nk::u64 micros = kernel::clock::cycles_to_nanoseconds(x86::rdtsc() - start) / 1000;
    extension.last_fault.recovery_us = micros;
    g_stats.last_recovery_us = micros;
    if (reloaded.is_error()) {
        extension.state = ExtensionState::Failed;
        (void)drain_extension(extension);
        release_extension_resources(extension);
        kprintf("nooks: '%s' could not be restarted (attempt %llu): %s; left failed (ext "
                "restart %s to try again)\n",
                extension.name, (unsigned long long)extension.restarts, problem.message,
                extension.name);
        return;
    }
    ++g_stats.recoveries;
    kprintf("nooks: '%s' recovered in %llu us (restart %llu)\n", extension.name,
            (unsigned long long)micros, (unsigned long long)extension.restarts);
}

// Then the class proxies settle what the old incarnation left: devices and volumes the new one
// took over go on, the rest end (and whoever waits on them is told).
void recover(Extension& extension) {
    restart(extension);
    finish_block_recovery(extension);
    finish_fs_recovery(extension);
    finish_net_recovery(extension);
    finish_socket_recovery(extension);
}

void recovery_thread(void* argument) {
    auto& extension = *static_cast<Extension*>(argument);
    recover(extension);
    // The last touch: an unload waiting for this recovery may free the record right after. A
    // count, not a flag: a fault once the reload had it running again (while the proxies
    // settled, above) began another recovery, which this one must not mark finished.
    __atomic_sub_fetch(&extension.recovery_pending, 1, __ATOMIC_SEQ_CST);
}

// Deferred work (the fault may have come in any context): a thread per recovery.
void spawn_recovery(void* argument) {
    auto* extension = static_cast<Extension*>(argument);
    char name[32];
    snprintf(name, sizeof name, "recover:%s", extension->name);
    auto thread = kernel::sched::create_thread(name, recovery_thread, extension);
    if (thread.is_error()) {
        // No memory for a thread: recover here, holding up other deferred work meanwhile.
        recovery_thread(extension);
        return;
    }
    kernel::sched::start(thread.value());
}

// What a fault means for the extension, given what it was doing; said in the report.
const char* begin_recovery(Extension& extension) {
    // From the look at the state to its change with interrupts off: two threads failing the
    // extension at once (a wrapper check, a mask left up, the storm charge, with interrupts on)
    // would otherwise both find it Running and start two recoveries.
    x86::InterruptGuard guard;
    ++extension.faults;
    extension.has_fault = true;
    switch (extension.state) {
    case ExtensionState::Starting:
        // init() (or a thread it started) faulted: that start fails, and the load or the
        // reload that ran it says so. No recovery of a start: it would only fault again.
        extension.state = ExtensionState::Failed;
        return "its start fails";
    case ExtensionState::Exiting:
        extension.state = ExtensionState::Stopping;
        return "the unload goes on";
    case ExtensionState::Stopping:
        return "it is being unloaded";
    case ExtensionState::Recovering:
        // Another of its threads faulted first: that recovery covers this one too.
        return "recovery already under way";
    case ExtensionState::Failed:
    case ExtensionState::Disabled:
        return "it is stopped already";
    case ExtensionState::Running:
        break;
    }
    extension.state = ExtensionState::Recovering;
    __atomic_add_fetch(&extension.recovery_pending, 1, __ATOMIC_SEQ_CST);
    extension.recovery_work.set(spawn_recovery, &extension);
    // Queued already (it cannot be, while the state was Running): that run finishes the count.
    if (!extension.recovery_work.schedule())
        __atomic_sub_fetch(&extension.recovery_pending, 1, __ATOMIC_SEQ_CST);
    return "recovering";
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
    // How long the call had run (since it began or last blocked): a fault caught by the CPU
    // itself comes within microseconds, where the watchdog needs WATCHDOG_LIMIT_MS.
    if (Crossing* crossing = current_crossing())
        kprintf(", %llu us into the call",
                (unsigned long long)(kernel::clock::cycles_to_nanoseconds(x86::rdtsc() -
                                                                          crossing->start_tsc) /
                                     1000));
    kprintf("; %s\n", begin_recovery(extension));
    print_extension_trace(extension);
}

void record_failure(Extension& extension, const char* cause, nk::u64 rip) {
    FaultRecord& fault = extension.last_fault;
    fault = {};
    fault.vector = 0x100;
    fault.rip = rip;
    snprintf(fault.cause, sizeof fault.cause, "%s", cause);
    if (rip && !extension.module.symbolize(rip, fault.where, sizeof fault.where))
        snprintf(fault.where, sizeof fault.where, "0x%llx", (unsigned long long)rip);
    // The outcome first: begin_recovery changes the state the message describes.
    const char* outcome = begin_recovery(extension);
    kprintf("nooks: extension '%s' failed: %s; %s\n", extension.name, cause, outcome);
    print_extension_trace(extension);
}

void fail_current_extension(const char* cause) {
    Crossing* crossing = current_crossing();
    if (!crossing || crossing->extension->mode != ExtensionMode::Isolated)
        kernel::panic("%s", cause);
    record_failure(*crossing->extension, cause, 0);
    abort_current_crossing();
}

nk::ErrorOr restart_extension(Extension& extension) {
    if (extension.mode != ExtensionMode::Isolated)
        return nk::Error::NotSupported;
    // Claimed: no load, unload or other restart of it runs meanwhile (and none frees it).
    TRY(claim_extension(extension));
    bool busy;
    {
        // The check and the change of state in one interrupts-off section: a fault in between
        // would begin a recovery that this restart then ran into.
        x86::InterruptGuard guard;
        busy = extension.recovery_pending ||
               extension.active_crossings > extension.tracker.count(ObjectKind::Thread);
        if (!busy) {
            extension.state = ExtensionState::Recovering;
            __atomic_add_fetch(&extension.recovery_pending, 1, __ATOMIC_SEQ_CST);
        }
    }
    if (busy) {
        release_extension_claim(extension);
        return nk::Error::Busy;
    }
    // A manual restart starts a fresh policy window.
    for (auto& when : extension.restart_times_ns)
        when = 0;
    recover(extension);
    __atomic_sub_fetch(&extension.recovery_pending, 1, __ATOMIC_SEQ_CST);
    bool running = extension.state == ExtensionState::Running;
    release_extension_claim(extension);
    return running ? nk::ErrorOr() : nk::Error::IO;
}

void watchdog_tick() {
    Crossing* crossing = current_crossing();
    if (!crossing || crossing->aborted)
        return;
    nk::u64 elapsed_ns = kernel::clock::cycles_to_nanoseconds(x86::rdtsc() - crossing->start_tsc);
    bool late = crossing_past_deadline(*crossing);
    if (elapsed_ns < WATCHDOG_LIMIT_MS * 1000000 && !late)
        return;
    char cause[112];
    if (late)
        snprintf(cause, sizeof cause, "ran past its time limit (sleeping included)");
    else
        snprintf(cause, sizeof cause, "watchdog: ran %llu ms without returning",
                 (unsigned long long)(elapsed_ns / 1000000));
    record_failure(*crossing->extension, cause, 0);
    abort_current_crossing();
}

RecoveryStats recovery_stats() {
    return g_stats;
}

} // namespace nooks
