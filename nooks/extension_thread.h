// Threads an extension starts (nk_thread_create) and its sleeping mutexes (nk_mutex_*). One
// implementation serves both modes: natively the thread calls the extension's function
// directly; isolated it enters the domain through a crossing that lasts the thread's life, and
// the records are tracked so that a crash or an unload stops the threads and breaks the locks.
//
// Leaving a torn-down extension: a thread blocked on its behalf (sleeping, waiting for a mutex)
// is woken by stop_extension_threads(); when it returns through its wrapper into an extension
// that is no longer running, the wrapper aborts the crossing instead (xpc.h, KernelEntry), the
// thread's function never resumes, and the thread ends.
#pragma once

#include <kernel/sched/thread.h>
#include <kernel/sched/wait_queue.h>
#include <nk/result.h>
#include <nk/types.h>
#include <nooks/kernel_api.h>
#include <nooks/object_tracker.h>

namespace nooks {

struct Extension;

struct ExtensionThread {
    TrackedObject tracked;
    Extension* extension; // nullptr when native
    nk_thread_fn function;
    void* context;
    kernel::Thread* thread;
    volatile bool stop_requested;
    volatile bool finished;
    // The stopper gave up waiting (the thread ignored the stop and its extension could not end
    // it): the thread frees the record itself when it finally ends.
    bool orphaned;
    kernel::WaitQueue wakeup; // nk_sleep_ms sleeps here; a stop request wakes it
    kernel::WaitQueue finished_waiters;
};

// Starts `function(context)` in a new thread named "EXTENSION:NAME", entering the extension
// through xpc_call. With an owner the record is tracked against it; nullptr (a native call from
// outside any extension) runs the function directly, untracked.
nk::Result<ExtensionThread*> start_extension_thread(Extension* extension, const char* name,
                                                    nk_thread_fn function, void* context);
// nk_thread_stop: requests a stop, wakes the thread, waits until its function has returned,
// frees the record. Error::Invalid when called from the thread itself (nothing changes). The
// wait is bounded (STOP_LIMIT_MS, twice): a thread that ignores the request fails its
// extension, and Error::TimedOut says the record was left to the thread.
nk::ErrorOr stop_extension_thread(ExtensionThread& thread);
// The record of the running thread, or nullptr for other threads.
ExtensionThread* current_extension_thread();
// nk_sleep_ms: an extension thread's sleep ends early when it is asked to stop.
void extension_sleep_ms(nk::u64 milliseconds);
bool extension_thread_should_stop();

struct ExtensionMutex {
    TrackedObject tracked;
    Extension* extension; // the owner it is tracked against, or nullptr
    kernel::Thread* owner;
    kernel::WaitQueue waiters;
    bool broken; // the extension crashed: lock() no longer waits
    nk::u64 contentions;
};

nk::Result<ExtensionMutex*> create_extension_mutex(Extension* extension);
// Locking twice from one thread, unlocking a mutex the thread does not hold, destroying a held
// one: kernel::panic (which fails an isolated extension, and is a panic natively). Waiting
// longer than LOCK_LIMIT_MS is a deadlock, and fails the extension the same way.
void lock_extension_mutex(ExtensionMutex& mutex);
void unlock_extension_mutex(ExtensionMutex& mutex);
void destroy_extension_mutex(ExtensionMutex& mutex);

struct ExtensionEvent {
    TrackedObject tracked;
    Extension* extension; // the owner it is tracked against, or nullptr
    volatile bool signalled;
    bool broken; // the extension is being torn down: waits end at once
    kernel::WaitQueue waiters;
};

constexpr nk::u64 EVENT_WAIT_LIMIT_MS = 60000;
nk::Result<ExtensionEvent*> create_extension_event(Extension* extension);
// Error::TimedOut, Error::Aborted (torn down), or consumed the signal.
nk::ErrorOr wait_extension_event(ExtensionEvent& event, nk::u64 milliseconds);
void signal_extension_event(ExtensionEvent& event);
void destroy_extension_event(ExtensionEvent& event);

// Recovery and unload: asks every thread of the extension to stop and wakes it, and breaks
// every mutex and event open, so that no thread stays blocked on the extension's behalf.
void stop_extension_threads(Extension& extension);

} // namespace nooks
