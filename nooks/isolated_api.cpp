// The isolated implementations of the extension API and the table of their wrappers. Each
// implementation runs in the kernel's address space (the wrapper has left the domain) with the
// calling extension as its first argument; every object it hands out is recorded in that
// extension's tracker.
#include <kernel/debug/panic.h>
#include <kernel/interrupts/irq.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/sched/scheduler.h>
#include <kernel/time/clock.h>
#include <kernel/time/timer.h>
#include <nooks/isolated_api.h>
#include <nooks/kernel_api.h>
#include <nooks/kernel_exports.h>
#include <nooks/wrapper.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

namespace nooks {

namespace {

constexpr nk::u64 MAX_ALLOCATION = 4ull << 20;
constexpr nk::u64 MAX_SLEEP_MS = 60000;

void* isolated_malloc(Extension& extension, size_t size) {
    auto block = extension.heap->allocate(size);
    return block.is_error() ? nullptr : block.value();
}

void* isolated_zalloc(Extension& extension, size_t size) {
    void* block = isolated_malloc(extension, size);
    if (block)
        memset(block, 0, size);
    return block;
}

void isolated_free(Extension& extension, void* pointer) {
    if (pointer)
        (void)extension.heap->free(pointer);
}

uint64_t isolated_uptime(Extension&) {
    return kernel::clock::nanoseconds_since_boot();
}

void isolated_sleep(Extension&, uint64_t milliseconds) {
    kernel::sched::sleep_ms(milliseconds);
}

// ---- IRQs: the kernel's handler calls the extension's through a crossing.

struct IrqRecord {
    TrackedObject tracked;
    Extension* extension;
    unsigned line;
    nk_irq_handler handler;
    void* context;
};

bool irq_crossing(void* argument) {
    auto* record = static_cast<IrqRecord*>(argument);
    auto claimed =
        xpc_call(*record->extension, as_domain_function(record->handler), long(record->context));
    return claimed.has_value() && claimed.value() != 0;
}

void release_irq(TrackedObject& tracked) {
    auto* record = reinterpret_cast<IrqRecord*>(&tracked);
    (void)kernel::irq::unregister_handler(record->line, irq_crossing, record);
    kfree(record);
}

long isolated_request_irq(Extension& extension, unsigned line, nk_irq_handler handler,
                          void* context, nk_irq_handle* out) {
    auto* record = static_cast<IrqRecord*>(kmalloc(sizeof(IrqRecord)));
    if (!record)
        return -NK_ENOMEM;
    *record = {{{}, ObjectKind::Irq, release_irq}, &extension, line, handler, context};
    auto registered = kernel::irq::register_handler(line, irq_crossing, record);
    if (registered.is_error()) {
        kfree(record);
        return -long(registered.error());
    }
    extension.tracker.add(record->tracked);
    *out = reinterpret_cast<nk_irq_handle>(&record->tracked);
    return 0;
}

void isolated_free_irq(Extension& extension, nk_irq_handle handle) {
    auto* tracked = reinterpret_cast<TrackedObject*>(handle);
    extension.tracker.remove(*tracked);
    tracked->release(*tracked);
}

// ---- Timers: the callback runs in interrupt context, through a crossing.

struct TimerRecord {
    TrackedObject tracked;
    Extension* extension;
    kernel::Timer timer;
    nk_timer_callback callback;
    void* context;
};

void timer_crossing(void* argument) {
    auto* record = static_cast<TimerRecord*>(argument);
    (void)xpc_call(*record->extension, as_domain_function(record->callback), long(record->context));
}

void release_timer(TrackedObject& tracked) {
    auto* record = reinterpret_cast<TimerRecord*>(&tracked);
    record->~TimerRecord(); // cancels
    kfree(record);
}

long isolated_timer_start(Extension& extension, uint64_t milliseconds, int periodic,
                          nk_timer_callback callback, void* context, nk_timer_handle* out) {
    auto* record = static_cast<TimerRecord*>(kmalloc(sizeof(TimerRecord)));
    if (!record)
        return -NK_ENOMEM;
    new (record)
        TimerRecord{{{}, ObjectKind::Timer, release_timer}, &extension, {}, callback, context};
    extension.tracker.add(record->tracked);
    if (periodic)
        record->timer.start_periodic(milliseconds, timer_crossing, record);
    else
        record->timer.start_once(milliseconds, timer_crossing, record);
    *out = reinterpret_cast<nk_timer_handle>(&record->tracked);
    return 0;
}

void isolated_timer_cancel(Extension& extension, nk_timer_handle handle) {
    auto* tracked = reinterpret_cast<TrackedObject*>(handle);
    extension.tracker.remove(*tracked);
    tracked->release(*tracked);
}

// nk_log is variadic, so it is written out rather than generated: same steps.
void isolated_log(const char* format, ...) {
    KernelEntry entry;
    Extension& extension = *current_extension();
    ++extension.wrapper_calls;
    count_function_call(extension.import_calls, reinterpret_cast<nk::u64>("nk_log"), "nk_log");
    if (!DomainString<256>::check(extension, format)) {
        wrapper_check_failed(extension, "nk_log", 0, reinterpret_cast<nk::u64>(format));
        return;
    }
    char line[256];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    kprintf("[%s] %s", extension.name, line);
}

// nk_bug goes through the kernel's own panic: the interceptor fails the extension.
[[noreturn]] void isolated_bug(const char* message) {
    KernelEntry entry;
    Extension& extension = *current_extension();
    if (!DomainString<256>::check(extension, message))
        message = "(message not readable)";
    kernel::panic("extension bug: %s", message);
}

template <typename Function>
nk::u64 address_of(Function function) {
    return reinterpret_cast<nk::u64>(function);
}

// The declarations: one line per function, one check policy per argument.
const KernelExport g_exports[] = {
    {"nk_malloc",
     address_of(&Wrapper<"nk_malloc", isolated_malloc, AtMost<MAX_ALLOCATION>>::entry)},
    {"nk_zalloc",
     address_of(&Wrapper<"nk_zalloc", isolated_zalloc, AtMost<MAX_ALLOCATION>>::entry)},
    {"nk_free", address_of(&Wrapper<"nk_free", isolated_free, HeapPointerOrNull>::entry)},
    {"nk_log", address_of(&isolated_log)},
    {"nk_bug", address_of(&isolated_bug)},
    {"nk_uptime_ns", address_of(&Wrapper<"nk_uptime_ns", isolated_uptime>::entry)},
    {"nk_sleep_ms",
     address_of(&Wrapper<"nk_sleep_ms", isolated_sleep, AtMost<MAX_SLEEP_MS>>::entry)},
    {"nk_request_irq",
     address_of(&Wrapper<"nk_request_irq", isolated_request_irq, AtMost<15>, ModuleCode, Unchecked,
                         WritableOut<sizeof(nk_irq_handle)>>::entry)},
    {"nk_free_irq",
     address_of(&Wrapper<"nk_free_irq", isolated_free_irq, OwnedHandle<ObjectKind::Irq>>::entry)},
    {"nk_timer_start",
     address_of(&Wrapper<"nk_timer_start", isolated_timer_start, AtMost<3600000>, Unchecked,
                         ModuleCode, Unchecked, WritableOut<sizeof(nk_timer_handle)>>::entry)},
    {"nk_timer_cancel", address_of(&Wrapper<"nk_timer_cancel", isolated_timer_cancel,
                                            OwnedHandle<ObjectKind::Timer>>::entry)},
};

} // namespace

nk::Result<nk::u64> find_isolated_export(const char* name) {
    return find_export(nk::Span<const KernelExport>(g_exports), name);
}

} // namespace nooks
