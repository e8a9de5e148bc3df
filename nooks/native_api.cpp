// The extension API as plain kernel functions: what a natively loaded extension calls directly
// (the Nooks baseline: no isolation, no checks, no tracking).
#include <arch/x86/cpu.h>
#include <kernel/block/block_device.h>
#include <kernel/debug/panic.h>
#include <kernel/interrupts/irq.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/sched/scheduler.h>
#include <kernel/time/clock.h>
#include <kernel/time/timer.h>
#include <nooks/block.h>
#include <nooks/device_classes.h>
#include <nooks/extension_list_class.h>
#include <nooks/extension_manager.h>
#include <nooks/extension_thread.h>
#include <nooks/file_class.h>
#include <nooks/fs.h>
#include <nooks/kernel_api.h>
#include <nooks/kernel_exports.h>
#include <nooks/net.h>
#include <nooks/pci_access.h>
#include <nooks/socket_class.h>
#include <nooks/xpc.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

namespace {

// An IRQ registration: the extension's handler and context behind the kernel's handler type.
struct IrqRegistration {
    unsigned line;
    nk_irq_handler handler;
    void* context;
};

bool irq_trampoline(void* registration) {
    auto* irq = static_cast<IrqRegistration*>(registration);
    return irq->handler(irq->context) != 0;
}

struct TimerRegistration {
    kernel::Timer timer;
    nk_timer_callback callback;
    void* context;
};

void timer_trampoline(void* registration) {
    auto* timer = static_cast<TimerRegistration*>(registration);
    timer->callback(timer->context);
}

} // namespace

extern "C" {

void* nk_malloc(size_t size) {
    return kmalloc(size);
}
void* nk_zalloc(size_t size) {
    return kzalloc(size);
}
void nk_free(void* pointer) {
    kfree(pointer);
}

// DMA buffers: a buddy block, used through the physmap; the handle records what to free.
struct DmaRecord {
    nk::u64 phys;
    unsigned order;
};

void* nk_dma_alloc(size_t size, uint64_t* bus_address, nk_dma_handle* out) {
    if (!size || !bus_address || !out)
        return nullptr;
    auto* record = static_cast<DmaRecord*>(kmalloc(sizeof(DmaRecord)));
    if (!record)
        return nullptr;
    record->order = kernel::FrameAllocator::order_for_bytes(size);
    auto block = kernel::memory::frames().allocate(record->order);
    if (block.is_error()) {
        kfree(record);
        return nullptr;
    }
    record->phys = block.value();
    void* virt = kernel::phys_to_virt(record->phys);
    memset(virt, 0, kernel::FRAME_SIZE << record->order);
    *bus_address = record->phys;
    *out = reinterpret_cast<nk_dma_handle>(record);
    return virt;
}

void nk_dma_free(nk_dma_handle handle) {
    auto* record = reinterpret_cast<DmaRecord*>(handle);
    if (!record)
        return;
    (void)kernel::memory::frames().free(record->phys, record->order);
    kfree(record);
}

volatile void* nk_ioremap(uint64_t phys, size_t size, nk_mmio_handle* out) {
    if (!size || !out)
        return nullptr;
    nk::u64 pages =
        (phys % kernel::FRAME_SIZE + size + kernel::FRAME_SIZE - 1) / kernel::FRAME_SIZE;
    auto mapped = kernel::memory::map_mmio(phys, pages);
    if (mapped.is_error())
        return nullptr;
    // The physmap mapping stays (it is the kernel's one view of that device); nothing to free.
    *out = reinterpret_cast<nk_mmio_handle>(mapped.value());
    return reinterpret_cast<volatile void*>(mapped.value());
}

void nk_iounmap(nk_mmio_handle) {}

nk_status nk_pci_claim(uint16_t vendor, uint16_t device, nk_pci_device* out) {
    if (!out)
        return -NK_EINVAL;
    auto claimed = nooks::claim_pci_device(vendor, device);
    if (claimed.is_error())
        return -long(claimed.error());
    *out = reinterpret_cast<nk_pci_device>(claimed.value());
    return 0;
}

void nk_pci_release(nk_pci_device device) {
    if (device)
        nooks::release_pci_device(*reinterpret_cast<kernel::pci::PciDevice*>(device));
}

nk_status nk_pci_get_bar(nk_pci_device device, unsigned index, struct nk_pci_bar* out) {
    if (!device || !out)
        return -NK_EINVAL;
    return nooks::pci_bar(*reinterpret_cast<kernel::pci::PciDevice*>(device), index, out);
}

nk_status nk_pci_irq_line(nk_pci_device device) {
    if (!device)
        return -NK_EINVAL;
    return nooks::pci_irq_line(*reinterpret_cast<kernel::pci::PciDevice*>(device));
}

void nk_pci_enable(nk_pci_device device) {
    if (device)
        nooks::pci_enable(*reinterpret_cast<kernel::pci::PciDevice*>(device));
}

uint8_t nk_inb(uint16_t port) {
    return x86::inb(port);
}
uint16_t nk_inw(uint16_t port) {
    return x86::inw(port);
}
uint32_t nk_inl(uint16_t port) {
    return x86::inl(port);
}
void nk_outb(uint16_t port, uint8_t value) {
    x86::outb(port, value);
}
void nk_outw(uint16_t port, uint16_t value) {
    x86::outw(port, value);
}
void nk_outl(uint16_t port, uint32_t value) {
    x86::outl(port, value);
}

nk_status nk_param(const char* key, char* out, size_t size) {
    nooks::Extension* self = nooks::native_caller();
    if (!self || !key || (!out && size))
        return -NK_EINVAL;
    auto found = nooks::extension_parameter(*self, key, out, size);
    return found.is_error() ? -long(found.error()) : long(found.value());
}

uint64_t nk_incarnation(void) {
    nooks::Extension* self = nooks::native_caller();
    return self ? self->incarnation : 0;
}

// Natively the spinlocks clear the interrupt flag: nothing is ever held back.
void nk_irq_resume(void) {}

void nk_log(const char* format, ...) {
    char line[256];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    kprintf("%s", line);
}

void nk_bug(const char* message) {
    kernel::panic("extension bug: %s", message);
}

uint64_t nk_uptime_ns(void) {
    return kernel::clock::nanoseconds_since_boot();
}
uint64_t nk_time_seconds(void) {
    return kernel::clock::epoch_seconds();
}
static_assert(sizeof(struct nk_clock) == sizeof(kernel::clock::SharedClock) &&
              __builtin_offsetof(struct nk_clock, epoch_seconds) ==
                  __builtin_offsetof(kernel::clock::SharedClock, epoch_seconds));
const struct nk_clock* nk_clock(void) {
    return reinterpret_cast<const struct nk_clock*>(&kernel::clock::shared_clock());
}
void nk_sleep_ms(uint64_t milliseconds) {
    nooks::extension_sleep_ms(milliseconds);
}

// Threads, mutexes and registered devices are tracked against the native caller too, so that
// unloading a native extension stops and unregisters them (there is no crash recovery natively).
nk_status nk_thread_create(const char* name, nk_thread_fn fn, void* context,
                           nk_thread_handle* out) {
    if (!fn || !out)
        return -NK_EINVAL;
    auto thread =
        nooks::start_extension_thread(nooks::native_caller(), name ? name : "thread", fn, context);
    if (thread.is_error())
        return -long(thread.error());
    *out = reinterpret_cast<nk_thread_handle>(thread.value());
    return 0;
}
void nk_thread_stop(nk_thread_handle handle) {
    if (handle)
        (void)nooks::stop_extension_thread(*reinterpret_cast<nooks::ExtensionThread*>(handle));
}
int nk_thread_should_stop(void) {
    return nooks::extension_thread_should_stop();
}

nk_status nk_mutex_create(nk_mutex_handle* out) {
    if (!out)
        return -NK_EINVAL;
    auto mutex = nooks::create_extension_mutex(nooks::native_caller());
    if (mutex.is_error())
        return -long(mutex.error());
    *out = reinterpret_cast<nk_mutex_handle>(mutex.value());
    return 0;
}
void nk_mutex_lock(nk_mutex_handle mutex) {
    nooks::lock_extension_mutex(*reinterpret_cast<nooks::ExtensionMutex*>(mutex));
}
void nk_mutex_unlock(nk_mutex_handle mutex) {
    nooks::unlock_extension_mutex(*reinterpret_cast<nooks::ExtensionMutex*>(mutex));
}
void nk_mutex_destroy(nk_mutex_handle mutex) {
    if (mutex)
        nooks::destroy_extension_mutex(*reinterpret_cast<nooks::ExtensionMutex*>(mutex));
}

nk_status nk_event_create(nk_event_handle* out) {
    if (!out)
        return -NK_EINVAL;
    auto event = nooks::create_extension_event(nooks::native_caller());
    if (event.is_error())
        return -long(event.error());
    *out = reinterpret_cast<nk_event_handle>(event.value());
    return 0;
}
nk_status nk_event_wait(nk_event_handle event, uint64_t milliseconds) {
    auto waited =
        nooks::wait_extension_event(*reinterpret_cast<nooks::ExtensionEvent*>(event), milliseconds);
    return waited.is_error() ? -long(waited.error()) : 0;
}
void nk_event_signal(nk_event_handle event) {
    nooks::signal_extension_event(*reinterpret_cast<nooks::ExtensionEvent*>(event));
}
void nk_event_destroy(nk_event_handle event) {
    if (event)
        nooks::destroy_extension_event(*reinterpret_cast<nooks::ExtensionEvent*>(event));
}

nk_status nk_netdev_register(const struct nooks_net_device_info* info,
                             const struct nooks_net_ops* ops, void* device, nk_netdev_handle* out) {
    if (!info || !ops || !out)
        return -NK_EINVAL;
    return nooks::register_net_device(nooks::native_caller(), *info, *ops, device, out);
}
void nk_netdev_unregister(nk_netdev_handle handle) {
    if (handle)
        nooks::unregister_net_device(handle);
}
nk_status nk_socket_listen(uint16_t port, int backlog, nk_socket_handle* out) {
    if (!out)
        return -NK_EINVAL;
    return nooks::socket_listen(nooks::native_caller(), port, backlog, out);
}
nk_status nk_socket_connect(uint32_t address, uint16_t port, uint64_t timeout_ms,
                            nk_socket_handle* out) {
    if (!out)
        return -NK_EINVAL;
    return nooks::socket_connect(nooks::native_caller(), address, port, timeout_ms, out);
}
nk_status nk_socket_accept(nk_socket_handle listener, uint64_t timeout_ms, nk_socket_handle* out,
                           uint32_t* peer_address, uint16_t* peer_port) {
    if (!listener || !out)
        return -NK_EINVAL;
    return nooks::socket_accept(nooks::native_caller(), listener, timeout_ms, out, peer_address,
                                peer_port);
}
long nk_socket_send(nk_socket_handle socket, const void* data, size_t length) {
    if (!socket || (!data && length))
        return -NK_EINVAL;
    return nooks::socket_send(socket, data, length);
}
long nk_socket_receive(nk_socket_handle socket, void* buffer, size_t length, uint64_t timeout_ms) {
    if (!socket || (!buffer && length))
        return -NK_EINVAL;
    return nooks::socket_receive(socket, buffer, length, timeout_ms);
}
void nk_socket_close(nk_socket_handle socket) {
    if (socket)
        nooks::socket_close(socket);
}
nk_status nk_file_stat(const char* path, struct nk_file_info* out) {
    nooks::Extension* self = nooks::native_caller();
    if (!self || !path || !out)
        return -NK_EINVAL;
    return nooks::file_stat(*self, path, out);
}
long nk_dir_list(const char* path, uint64_t start, struct nk_dir_entry* entries, uint32_t max) {
    nooks::Extension* self = nooks::native_caller();
    if (!self || !path || (!entries && max))
        return -NK_EINVAL;
    return nooks::dir_list(*self, path, start, entries, max);
}
long nk_socket_send_file(nk_socket_handle socket, const char* path,
                         struct nk_send_file* request) {
    nooks::Extension* self = nooks::native_caller();
    if (!self || !socket || !path || !request || (!request->head && request->head_length) ||
        (!request->receive && request->receive_size))
        return -NK_EINVAL;
    nk_send_file copy = *request;
    nk::i64 received = -NK_ECANCELED;
    long sent = nooks::socket_send_file(*self, socket, path, copy, &received);
    request->received = received;
    return sent;
}
long nk_extension_list(struct nk_extension_info* out, uint32_t max) {
    if (!out && max)
        return -NK_EINVAL;
    return nooks::list_extensions(out, max);
}

void nk_netif_rx_batch(nk_netdev_handle handle, const struct nooks_net_frame* frames,
                       uint32_t count) {
    if (!handle || !frames)
        return;
    for (uint32_t i = 0; i < count && i < NOOKS_NET_BATCH_MAX; ++i) {
        if (frames[i].data)
            nooks::net_receive(handle, frames[i].data, frames[i].length);
    }
}
nk_status nk_netif_rx_area(nk_netdev_handle, struct nooks_net_rx_area*) {
    return -NK_ENOSYS; // natively there is no crossing to save (net.h)
}
void nk_netif_link(nk_netdev_handle handle, int up) {
    if (handle)
        nooks::net_link(handle, up != 0);
}
void nk_netif_rx(nk_netdev_handle handle, const void* frame, size_t length) {
    if (handle && frame)
        nooks::net_receive(handle, frame, length);
}

nk_status nk_blkdev_register(const struct nooks_block_device_info* info,
                             const struct nooks_block_ops* ops, void* device,
                             nk_blkdev_handle* out) {
    if (!info || !ops || !out)
        return -NK_EINVAL;
    return nooks::register_block_device(nooks::native_caller(), *info, *ops, device, out);
}
void nk_blkdev_unregister(nk_blkdev_handle handle) {
    if (handle)
        nooks::unregister_block_device(handle);
}
nk_status nk_blkdev_window(nk_blkdev_handle handle, uint64_t bytes,
                           struct nooks_block_window* out) {
    if (!handle || !out)
        return -NK_EINVAL;
    return nooks::block_device_window(handle, bytes, out);
}

nk_status nk_block_open(const char* name, struct nooks_block_device_info* info,
                        nk_block_handle* out) {
    if (!name || !info || !out)
        return -NK_EINVAL;
    return nooks::open_block_device(nooks::native_caller(), name, info, out);
}
nk_status nk_block_read(nk_block_handle handle, uint64_t sector, uint32_t count, void* buffer) {
    if (!handle || !buffer)
        return -NK_EINVAL;
    auto done = nooks::opened_block_device(handle).read(sector, count, buffer);
    return done.is_error() ? -long(done.error()) : 0;
}
nk_status nk_block_write(nk_block_handle handle, uint64_t sector, uint32_t count,
                         const void* buffer) {
    if (!handle || !buffer)
        return -NK_EINVAL;
    auto done = nooks::opened_block_device(handle).write(sector, count, buffer);
    return done.is_error() ? -long(done.error()) : 0;
}
nk_status nk_block_write_extents(nk_block_handle handle, const struct nooks_block_extent* extents,
                                 uint32_t count) {
    if (!handle || (!extents && count) || count > NOOKS_BLOCK_EXTENTS_MAX)
        return -NK_EINVAL;
    auto& device = nooks::opened_block_device(handle);
    for (uint32_t i = 0; i < count; ++i) {
        if (!extents[i].buffer)
            return -NK_EINVAL;
        if (auto done = device.write(extents[i].sector, extents[i].count, extents[i].buffer);
            done.is_error())
            return -long(done.error());
    }
    return 0;
}
void nk_block_close(nk_block_handle handle) {
    if (handle)
        nooks::close_block_device(handle);
}

nk_status nk_fs_register(const char* name, const struct nooks_fs_ops* ops, nk_fs_handle* out) {
    if (!name || !ops || !out)
        return -NK_EINVAL;
    return nooks::register_file_system(nooks::native_caller(), name, *ops, out);
}
void nk_fs_unregister(nk_fs_handle handle) {
    if (handle)
        nooks::unregister_file_system(handle);
}

nk_status nk_request_irq(unsigned line, nk_irq_handler handler, void* context, nk_irq_handle* out) {
    if (!handler || !out)
        return -NK_EINVAL;
    auto* registration = static_cast<IrqRegistration*>(kmalloc(sizeof(IrqRegistration)));
    if (!registration)
        return -NK_ENOMEM;
    *registration = {line, handler, context};
    auto result = kernel::irq::register_handler(line, irq_trampoline, registration);
    if (result.is_error()) {
        kfree(registration);
        return -long(result.error());
    }
    *out = reinterpret_cast<nk_irq_handle>(registration);
    return 0;
}

namespace {
struct IrqEventRegistration {
    unsigned line;
    nooks::ExtensionEvent* event;
};
bool irq_event_trampoline(void* context) {
    nooks::signal_extension_event(*static_cast<IrqEventRegistration*>(context)->event);
    return true;
}
} // namespace

nk_status nk_irq_event(unsigned line, nk_event_handle event, nk_irq_handle* out) {
    if (!event || !out)
        return -NK_EINVAL;
    auto* registration = static_cast<IrqEventRegistration*>(kmalloc(sizeof(IrqEventRegistration)));
    if (!registration)
        return -NK_ENOMEM;
    *registration = {line, reinterpret_cast<nooks::ExtensionEvent*>(event)};
    auto result = kernel::irq::register_handler(line, irq_event_trampoline, registration);
    if (result.is_error()) {
        kfree(registration);
        return -long(result.error());
    }
    // Tagged (low bit) so that nk_free_irq knows which kind it frees.
    *out = reinterpret_cast<nk_irq_handle>(reinterpret_cast<nk::uptr>(registration) | 1);
    return 0;
}

void nk_free_irq(nk_irq_handle handle) {
    if (reinterpret_cast<nk::uptr>(handle) & 1) {
        auto* registration = reinterpret_cast<IrqEventRegistration*>(
            reinterpret_cast<nk::uptr>(handle) & ~nk::uptr(1));
        (void)kernel::irq::unregister_handler(registration->line, irq_event_trampoline,
                                              registration);
        kfree(registration);
        return;
    }
    auto* registration = reinterpret_cast<IrqRegistration*>(handle);
    if (!registration)
        return;
    (void)kernel::irq::unregister_handler(registration->line, irq_trampoline, registration);
    kfree(registration);
}

nk_status nk_timer_start(uint64_t milliseconds, int periodic, nk_timer_callback callback,
                         void* context, nk_timer_handle* out) {
    if (!callback || !out)
        return -NK_EINVAL;
    auto* registration = static_cast<TimerRegistration*>(kmalloc(sizeof(TimerRegistration)));
    if (!registration)
        return -NK_ENOMEM;
    new (registration) TimerRegistration{{}, callback, context};
    if (periodic)
        registration->timer.start_periodic(milliseconds, timer_trampoline, registration);
    else
        registration->timer.start_once(milliseconds, timer_trampoline, registration);
    *out = reinterpret_cast<nk_timer_handle>(registration);
    return 0;
}

void nk_timer_cancel(nk_timer_handle handle) {
    auto* registration = reinterpret_cast<TimerRegistration*>(handle);
    if (!registration)
        return;
    registration->~TimerRegistration(); // cancels
    kfree(registration);
}

} // extern "C"

namespace nooks {

namespace {

#define EXPORT(function)                                                                           \
    { #function, reinterpret_cast < nk::u64>(&function) }
const KernelExport g_exports[] = {
    EXPORT(nk_malloc),
    EXPORT(nk_zalloc),
    EXPORT(nk_free),
    EXPORT(nk_log),
    EXPORT(nk_irq_resume),
    EXPORT(nk_param),
    EXPORT(nk_incarnation),
    EXPORT(nk_uptime_ns),
    EXPORT(nk_time_seconds),
    EXPORT(nk_clock),
    EXPORT(nk_sleep_ms),
    EXPORT(nk_request_irq),
    EXPORT(nk_free_irq),
    EXPORT(nk_irq_event),
    EXPORT(nk_timer_start),
    EXPORT(nk_timer_cancel),
    EXPORT(nk_bug),
    EXPORT(nk_dma_alloc),
    EXPORT(nk_dma_free),
    EXPORT(nk_ioremap),
    EXPORT(nk_iounmap),
    EXPORT(nk_pci_claim),
    EXPORT(nk_pci_release),
    EXPORT(nk_pci_get_bar),
    EXPORT(nk_pci_irq_line),
    EXPORT(nk_pci_enable),
    EXPORT(nk_inb),
    EXPORT(nk_inw),
    EXPORT(nk_inl),
    EXPORT(nk_outb),
    EXPORT(nk_outw),
    EXPORT(nk_outl),
    EXPORT(nk_thread_create),
    EXPORT(nk_thread_stop),
    EXPORT(nk_thread_should_stop),
    EXPORT(nk_mutex_create),
    EXPORT(nk_mutex_lock),
    EXPORT(nk_mutex_unlock),
    EXPORT(nk_mutex_destroy),
    EXPORT(nk_event_create),
    EXPORT(nk_event_wait),
    EXPORT(nk_event_signal),
    EXPORT(nk_event_destroy),
    EXPORT(nk_netdev_register),
    EXPORT(nk_netdev_unregister),
    EXPORT(nk_netif_rx),
    EXPORT(nk_netif_rx_batch),
    EXPORT(nk_netif_link),
    EXPORT(nk_netif_rx_area),
    EXPORT(nk_socket_listen),
    EXPORT(nk_socket_accept),
    EXPORT(nk_socket_connect),
    EXPORT(nk_socket_send),
    EXPORT(nk_socket_receive),
    EXPORT(nk_socket_close),
    EXPORT(nk_file_stat),
    EXPORT(nk_dir_list),
    EXPORT(nk_socket_send_file),
    EXPORT(nk_extension_list),
    EXPORT(nk_blkdev_register),
    EXPORT(nk_blkdev_unregister),
    EXPORT(nk_blkdev_window),
    EXPORT(nk_block_open),
    EXPORT(nk_block_read),
    EXPORT(nk_block_write),
    EXPORT(nk_block_write_extents),
    EXPORT(nk_block_close),
    EXPORT(nk_fs_register),
    EXPORT(nk_fs_unregister),
};
#undef EXPORT

} // namespace

nk::Span<const KernelExport> kernel_exports() {
    return nk::Span<const KernelExport>(g_exports, sizeof g_exports / sizeof g_exports[0]);
}

nk::Result<nk::u64> find_export(nk::Span<const KernelExport> table, const char* name) {
    for (const auto& entry : table) {
        if (strcmp(entry.name, name) == 0)
            return entry.address;
    }
    return nk::Error::NoEntry;
}

nk::Result<nk::u64> find_kernel_export(const char* name) {
    return find_export(kernel_exports(), name);
}

} // namespace nooks
