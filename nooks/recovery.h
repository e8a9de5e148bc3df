// The recovery manager. A fault in an extension (an exception in its domain or in kernel code
// running for it, a failed wrapper check, the watchdog) is recorded and the crossing aborted;
// recovery then runs in the deferred-work thread: wait until no thread is inside the extension,
// release everything it held, reload a pristine copy into a fresh domain, and run its init again.
// A restart policy (backoff, at most MAX_RESTARTS per window) keeps a crash loop from eating the
// machine: past it the extension stays disabled and says so.
#pragma once

#include <arch/x86/interrupt_frame.h>
#include <nk/result.h>
#include <nk/types.h>
#include <nooks/restart_policy.h>

namespace nooks {

struct Extension;

// A crossing running longer than this is a hang: the watchdog aborts it.
constexpr nk::u64 WATCHDOG_LIMIT_MS = 500;
// init() and exit() must return within this much wall time, sleeping included: a re-init that
// polls a device bit forever (with or without sleeping) fails its start instead of hanging.
constexpr nk::u64 INIT_LIMIT_MS = 3000;
// A thread asked to stop has this long to finish; past it, its extension is failed (which ends
// the thread at its next return into the extension) and the stopper waits as long again before
// leaving the thread to end on its own.
constexpr nk::u64 STOP_LIMIT_MS = 2000;
// A thread waiting longer than this for an extension mutex is deadlocked: its extension is
// failed and recovered (Nooks left deadlocks undetected).
constexpr nk::u64 LOCK_LIMIT_MS = 5000;
// How long an unload waits for a recovery under way (queued, backing off, re-initialising).
constexpr nk::u64 UNLOAD_RECOVERY_WAIT_MS = INIT_LIMIT_MS + 3000;

// An exception from the extension's crossing.
void record_fault(Extension& extension, const x86::InterruptFrame& frame);
// Any other reason to fail the extension ("wrapper check failed: nk_free arg 0", "watchdog").
void record_failure(Extension& extension, const char* cause, nk::u64 rip);
// A bug found in kernel code called by the running thread (a deadlock, say): fails the
// isolated extension the thread is executing and aborts its crossing; natively (or outside
// any extension) there is nothing to recover, and the kernel panics with `cause`.
[[noreturn]] void fail_current_extension(const char* cause);
// Recovery as `ext restart` does it: synchronous, for a running or failed extension.
nk::ErrorOr restart_extension(Extension& extension);

// From the timer tick: aborts the running thread's crossing when it has run too long.
void watchdog_tick();

struct RecoveryStats {
    nk::u64 recoveries;
    nk::u64 disabled;
    nk::u64 last_recovery_us;
};
RecoveryStats recovery_stats();

} // namespace nooks
