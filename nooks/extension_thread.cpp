#include <arch/x86/interrupt_state.h>
#include <kernel/debug/panic.h>
#include <kernel/memory/kmalloc.h>
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

void thread_main(void* argument) {
    auto* record = static_cast<ExtensionThread*>(argument);
    kernel::sched::current()->nooks_thread = record;
    if (record->extension)
        (void)xpc_call(*record->extension, as_domain_function(record->function),
                       long(record->context));
    else
        record->function(record->context);
    // The stopper frees the record once `finished` is set; with interrupts off until this thread
    // is gone from it, the wake-up below cannot race with the free.
    x86::InterruptGuard guard;
    kernel::sched::current()->nooks_thread = nullptr;
    record->finished = true;
    record->finished_waiters.wake_all();
    if (record->orphaned) {
        record->~ExtensionThread();
        kfree(record);
    }
}

// Waits (interrupts off) until the thread has finished or `milliseconds` have passed.
bool wait_finished(ExtensionThread& record, nk::u64 milliseconds) {
    nk::u64 deadline = kernel::clock::nanoseconds_since_boot() + milliseconds * 1000000;
    while (!record.finished) {
        nk::u64 now = kernel::clock::nanoseconds_since_boot();
        if (now >= deadline)
            return false;
        (void)record.finished_waiters.wait_for((deadline - now + 999999) / 1000000);
    }
    return true;
}

// Requests the stop and waits, bounded; the record is already out of the tracker.
nk::ErrorOr finish_thread(ExtensionThread& record) {
    x86::InterruptGuard guard;
    record.stop_requested = true;
    record.wakeup.wake_all();
    if (!wait_finished(record, STOP_LIMIT_MS)) {
        // It does not look at its stop request. An isolated extension is failed: the thread
        // ends at its next return into the extension from the kernel (it sleeps or calls a
        // service) or at the watchdog (it spins). Natively nothing can end it.
        char cause[112];
        snprintf(cause, sizeof cause, "thread %s ignored its stop request for %llu ms",
                 record.thread->name, (unsigned long long)STOP_LIMIT_MS);
        if (record.extension && record.extension->mode == ExtensionMode::Isolated)
            record_failure(*record.extension, cause, 0);
        else
            kprintf("nooks: %s\n", cause);
        if (!wait_finished(record, STOP_LIMIT_MS)) {
            kprintf("nooks: thread %s still runs; left to end on its own\n", record.thread->name);
            record.orphaned = true;
            return nk::Error::TimedOut;
        }
    }
    record.~ExtensionThread();
    kfree(&record);
    return {};
}

void release_thread(TrackedObject& tracked) {
    (void)finish_thread(*reinterpret_cast<ExtensionThread*>(&tracked));
}

void release_mutex(TrackedObject& tracked) {
    auto* mutex = reinterpret_cast<ExtensionMutex*>(&tracked);
    mutex->~ExtensionMutex();
    kfree(mutex);
}

} // namespace

nk::Result<ExtensionThread*> start_extension_thread(Extension* extension, const char* name,
                                                    nk_thread_fn function, void* context) {
    auto* record = static_cast<ExtensionThread*>(kmalloc(sizeof(ExtensionThread)));
    if (!record)
        return nk::Error::NoMemory;
    new (record) ExtensionThread{};
    record->tracked = {{}, ObjectKind::Thread, release_thread};
    record->extension = extension;
    record->function = function;
    record->context = context;
    char thread_name[32];
    if (extension)
        snprintf(thread_name, sizeof thread_name, "%s:%s", extension->name, name);
    else
        snprintf(thread_name, sizeof thread_name, "%s", name);
    auto thread = kernel::sched::create_thread(thread_name, thread_main, record);
    if (thread.is_error()) {
        record->~ExtensionThread();
        kfree(record);
        return thread.error();
    }
    record->thread = thread.value();
    if (extension)
        extension->tracker.add(record->tracked);
    kernel::sched::start(thread.value());
    return record;
}

nk::ErrorOr stop_extension_thread(ExtensionThread& record) {
    // It waits: refused from interrupt context before the record leaves the tracker.
    kernel::sched::check_may_block();
    if (kernel::sched::current() == record.thread && !record.finished)
        return nk::Error::Invalid;
    if (record.extension)
        record.extension->tracker.remove(record.tracked);
    return finish_thread(record);
}

ExtensionThread* current_extension_thread() {
    return static_cast<ExtensionThread*>(kernel::sched::current()->nooks_thread);
}

void extension_sleep_ms(nk::u64 milliseconds) {
    ExtensionThread* record = current_extension_thread();
    if (!record) {
        kernel::sched::sleep_ms(milliseconds);
    } else {
        x86::InterruptGuard guard;
        if (!record->stop_requested)
            (void)record->wakeup.wait_for(milliseconds);
    }
    restart_watchdog();
}

bool extension_thread_should_stop() {
    ExtensionThread* record = current_extension_thread();
    return record && record->stop_requested;
}

nk::Result<ExtensionMutex*> create_extension_mutex(Extension* extension) {
    auto* mutex = static_cast<ExtensionMutex*>(kmalloc(sizeof(ExtensionMutex)));
    if (!mutex)
        return nk::Error::NoMemory;
    new (mutex) ExtensionMutex{};
    mutex->tracked = {{}, ObjectKind::Mutex, release_mutex};
    mutex->extension = extension;
    if (extension)
        extension->tracker.add(mutex->tracked);
    return mutex;
}

void lock_extension_mutex(ExtensionMutex& mutex) {
    // A lock that may sleep is a bug in interrupt context even when it happens to be free.
    kernel::sched::check_may_block();
    kernel::Thread* self = kernel::sched::current();
    {
        x86::InterruptGuard guard;
        if (mutex.owner == self)
            kernel::panic("extension mutex %p locked twice by thread %llu",
                          static_cast<void*>(&mutex), (unsigned long long)self->id);
        if (mutex.owner && !mutex.broken)
            ++mutex.contentions;
        nk::u64 deadline = kernel::clock::nanoseconds_since_boot() + LOCK_LIMIT_MS * 1000000;
        while (mutex.owner && !mutex.broken) {
            nk::u64 now = kernel::clock::nanoseconds_since_boot();
            if (now >= deadline) {
                char cause[112];
                snprintf(cause, sizeof cause,
                         "deadlock: waited %llu ms for a mutex held by thread %s",
                         (unsigned long long)LOCK_LIMIT_MS, mutex.owner->name);
                fail_current_extension(cause);
            }
            (void)mutex.waiters.wait_for((deadline - now + 999999) / 1000000);
        }
        if (!mutex.broken)
            mutex.owner = self;
    }
    restart_watchdog();
}

void unlock_extension_mutex(ExtensionMutex& mutex) {
    x86::InterruptGuard guard;
    if (mutex.owner != kernel::sched::current()) {
        if (mutex.broken)
            return;
        kernel::panic("extension mutex %p unlocked by a thread that does not hold it",
                      static_cast<void*>(&mutex));
    }
    mutex.owner = nullptr;
    mutex.waiters.wake_one();
}

void destroy_extension_mutex(ExtensionMutex& mutex) {
    if (mutex.owner && !mutex.broken)
        kernel::panic("extension mutex %p destroyed while held", static_cast<void*>(&mutex));
    if (mutex.extension)
        mutex.extension->tracker.remove(mutex.tracked);
    release_mutex(mutex.tracked);
}

namespace {
void release_event(TrackedObject& tracked) {
    auto* event = reinterpret_cast<ExtensionEvent*>(&tracked);
    event->~ExtensionEvent();
    kfree(event);
}
} // namespace

nk::Result<ExtensionEvent*> create_extension_event(Extension* extension) {
    auto* event = static_cast<ExtensionEvent*>(kmalloc(sizeof(ExtensionEvent)));
    if (!event)
        return nk::Error::NoMemory;
    new (event) ExtensionEvent{};
    event->tracked = {{}, ObjectKind::Event, release_event};
    event->extension = extension;
    if (extension)
        extension->tracker.add(event->tracked);
    return event;
}

nk::ErrorOr wait_extension_event(ExtensionEvent& event, nk::u64 milliseconds) {
    kernel::sched::check_may_block();
    nk::ErrorOr result = {};
    {
        x86::InterruptGuard guard;
        nk::u64 deadline = kernel::clock::nanoseconds_since_boot() +
                           nk::min(milliseconds, EVENT_WAIT_LIMIT_MS) * 1000000;
        while (!event.signalled && !event.broken) {
            nk::u64 now = kernel::clock::nanoseconds_since_boot();
            if (now >= deadline)
                break;
            (void)event.waiters.wait_for((deadline - now + 999999) / 1000000);
        }
        if (event.broken)
            result = nk::Error::Aborted;
        else if (!event.signalled)
            result = nk::Error::TimedOut;
        event.signalled = false;
    }
    restart_watchdog();
    return result;
}

void signal_extension_event(ExtensionEvent& event) {
    x86::InterruptGuard guard;
    event.signalled = true;
    event.waiters.wake_one();
}

void destroy_extension_event(ExtensionEvent& event) {
    {
        x86::InterruptGuard guard;
        event.broken = true;
        event.waiters.wake_all();
    }
    if (event.extension)
        event.extension->tracker.remove(event.tracked);
    release_event(event.tracked);
}

void stop_extension_threads(Extension& extension) {
    extension.tracker.for_each(ObjectKind::Thread, [](TrackedObject& tracked) {
        auto* record = reinterpret_cast<ExtensionThread*>(&tracked);
        record->stop_requested = true;
        record->wakeup.wake_all();
    });
    extension.tracker.for_each(ObjectKind::Mutex, [](TrackedObject& tracked) {
        auto* mutex = reinterpret_cast<ExtensionMutex*>(&tracked);
        mutex->broken = true;
        mutex->waiters.wake_all();
    });
    extension.tracker.for_each(ObjectKind::Event, [](TrackedObject& tracked) {
        auto* event = reinterpret_cast<ExtensionEvent*>(&tracked);
        event->broken = true;
        event->waiters.wake_all();
    });
}

} // namespace nooks
