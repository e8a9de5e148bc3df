#include <arch/x86/interrupt_state.h>
#include <kernel/debug/panic.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/sched/scheduler.h>
#include <nooks/extension_manager.h>
#include <nooks/extension_thread.h>
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
}

// Requests the stop and waits; the record is already out of the tracker.
void finish_thread(ExtensionThread& record) {
    {
        x86::InterruptGuard guard;
        record.stop_requested = true;
        record.wakeup.wake_all();
        while (!record.finished)
            record.finished_waiters.wait();
    }
    record.~ExtensionThread();
    kfree(&record);
}

void release_thread(TrackedObject& tracked) {
    finish_thread(*reinterpret_cast<ExtensionThread*>(&tracked));
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
    if (kernel::sched::current() == record.thread && !record.finished)
        return nk::Error::Invalid;
    if (record.extension)
        record.extension->tracker.remove(record.tracked);
    finish_thread(record);
    return {};
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
    kernel::Thread* self = kernel::sched::current();
    {
        x86::InterruptGuard guard;
        if (mutex.owner == self)
            kernel::panic("extension mutex %p locked twice by thread %llu",
                          static_cast<void*>(&mutex), (unsigned long long)self->id);
        if (mutex.owner && !mutex.broken)
            ++mutex.contentions;
        while (mutex.owner && !mutex.broken)
            mutex.waiters.wait();
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
}

} // namespace nooks
