// The isolated implementations of the extension API and the table of their wrappers. Each
// implementation runs in the kernel's address space (the wrapper has left the domain) with the
// calling extension as its first argument; every object it hands out is recorded in that
// extension's tracker.
#include <arch/x86/cpu.h>
#include <arch/x86/domain_call.h>
#include <kernel/block/block_device.h>
#include <kernel/debug/panic.h>
#include <kernel/interrupts/irq.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/net/net_device.h>
#include <kernel/sched/scheduler.h>
#include <kernel/time/clock.h>
#include <kernel/time/timer.h>
#include <nooks/device_classes.h>
#include <nooks/extension_list_class.h>
#include <nooks/extension_thread.h>
#include <nooks/file_class.h>
#include <nooks/isolated_api.h>
#include <nooks/kernel_api.h>
#include <nooks/kernel_exports.h>
#include <nooks/module_region.h>
#include <nooks/pci_access.h>
#include <nooks/recovery.h>
#include <nooks/socket_class.h>
#include <nooks/wrapper.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

namespace nooks {

namespace {

constexpr nk::u64 MAX_ALLOCATION = 4ull << 20;
constexpr nk::u64 MAX_SLEEP_MS = 60000;
constexpr nk::u64 MAX_BLOCK_SECTORS = 1024; // 512 KiB of 512-byte sectors per call

// The heap keeps its metadata in pages the extension can write, and refuses to follow what it
// finds damaged there (kernel/memory/heap.cpp): damage is the extension's fault.
void heap_damaged(Extension& extension, const char* function) {
    char cause[112];
    snprintf(cause, sizeof cause, "%s: its heap's metadata was overwritten", function);
    record_failure(extension, cause, 0);
    abort_current_crossing();
}

void* isolated_malloc(Extension& extension, size_t size) {
    auto block = extension_heap_allocate(extension, size);
    if (block.is_error() && block.error() == nk::Error::Corrupt)
        heap_damaged(extension, "nk_malloc");
    if (block.is_error() &&
        (block.error() == nk::Error::Quota || block.error() == nk::Error::NoMemory)) {
        // The heap's page source refused more pages: say so (once) and count it.
        note_refusal(extension, Resource::HeapPages, block.error());
    }
    return block.is_error() ? nullptr : block.value();
}

void* isolated_zalloc(Extension& extension, size_t size) {
    void* block = isolated_malloc(extension, size);
    if (block)
        memset(block, 0, size);
    return block;
}

void isolated_free(Extension& extension, void* pointer) {
    if (pointer && extension_heap_free(extension, pointer).is_error())
        heap_damaged(extension, "nk_free");
}

long isolated_param(Extension& extension, const char* key, char* out, size_t size) {
    if (!check_buffer(extension, "nk_param", 1, out, size, true))
        return -NK_EFAULT;
    auto found = extension_parameter(extension, key, out, size);
    return found.is_error() ? -long(found.error()) : long(found.value());
}

uint64_t isolated_incarnation(Extension& extension) {
    return extension.incarnation;
}

uint64_t isolated_uptime(Extension&) {
    return kernel::clock::nanoseconds_since_boot();
}
uint64_t isolated_time(Extension&) {
    return kernel::clock::epoch_seconds();
}
// Kernel memory is readable in every domain: the extension reads the clock in place.
const struct nk_clock* isolated_clock(Extension&) {
    return reinterpret_cast<const struct nk_clock*>(&kernel::clock::shared_clock());
}

void isolated_sleep(Extension&, uint64_t milliseconds) {
    extension_sleep_ms(milliseconds);
}

// ---- Threads and mutexes (extension_thread.h does the work for both modes).

long isolated_thread_create(Extension& extension, const char* name, nk_thread_fn fn, void* context,
                            nk_thread_handle* out) {
    if (auto charged = charge_resource(extension, Resource::Threads, 1); charged.is_error())
        return -long(charged.error());
    auto thread = start_extension_thread(&extension, name, fn, context);
    if (thread.is_error())
        return -long(thread.error());
    *out = reinterpret_cast<nk_thread_handle>(&thread.value()->tracked);
    return 0;
}

void isolated_thread_stop(Extension&, nk_thread_handle handle) {
    (void)stop_extension_thread(*reinterpret_cast<ExtensionThread*>(handle));
}

int isolated_thread_should_stop(Extension&) {
    return extension_thread_should_stop();
}

long isolated_mutex_create(Extension& extension, nk_mutex_handle* out) {
    auto mutex = create_extension_mutex(&extension);
    if (mutex.is_error())
        return -long(mutex.error());
    *out = reinterpret_cast<nk_mutex_handle>(&mutex.value()->tracked);
    return 0;
}

ExtensionMutex& mutex_of(nk_mutex_handle handle) {
    return *reinterpret_cast<ExtensionMutex*>(handle);
}
void isolated_mutex_lock(Extension&, nk_mutex_handle handle) {
    lock_extension_mutex(mutex_of(handle));
}
void isolated_mutex_unlock(Extension&, nk_mutex_handle handle) {
    unlock_extension_mutex(mutex_of(handle));
}
void isolated_mutex_destroy(Extension&, nk_mutex_handle handle) {
    destroy_extension_mutex(mutex_of(handle));
}

long isolated_event_create(Extension& extension, nk_event_handle* out) {
    auto event = create_extension_event(&extension);
    if (event.is_error())
        return -long(event.error());
    *out = reinterpret_cast<nk_event_handle>(&event.value()->tracked);
    return 0;
}
ExtensionEvent& event_of(nk_event_handle handle) {
    return *reinterpret_cast<ExtensionEvent*>(handle);
}
long isolated_event_wait(Extension&, nk_event_handle handle, uint64_t milliseconds) {
    auto waited = wait_extension_event(event_of(handle), milliseconds);
    return waited.is_error() ? -long(waited.error()) : 0;
}
void isolated_event_signal(Extension&, nk_event_handle handle) {
    signal_extension_event(event_of(handle));
}
void isolated_event_destroy(Extension&, nk_event_handle handle) {
    destroy_extension_event(event_of(handle));
}

// ---- Registered devices and file systems (device_classes.h). The structures passed in were
// checked readable by the wrapper; the op pointers in them are checked there.

long isolated_netdev_register(Extension& extension, const nooks_net_device_info* info,
                              const nooks_net_ops* ops, void* device, nk_netdev_handle* out) {
    if (auto charged = charge_resource(extension, Resource::Devices, 1); charged.is_error())
        return -long(charged.error());
    return register_net_device(&extension, *info, *ops, device, out);
}
void isolated_netdev_unregister(Extension&, nk_netdev_handle handle) {
    unregister_net_device(handle);
}
void isolated_netif_rx(Extension& extension, nk_netdev_handle handle, const void* frame,
                       size_t length) {
    if (check_buffer(extension, "nk_netif_rx", 1, frame, length, false))
        net_receive(handle, frame, length);
}

long isolated_netif_rx_area(Extension&, nk_netdev_handle handle, nooks_net_rx_area* area) {
    return net_set_rx_area(handle, area);
}
void isolated_netif_link(Extension&, nk_netdev_handle handle, int up) {
    net_link(handle, up != 0);
}

// The batch is copied out of the driver's memory first (so it cannot change under the checks),
// then each frame is checked like nk_netif_rx's.
void isolated_netif_rx_batch(Extension& extension, nk_netdev_handle handle,
                             const nooks_net_frame* frames, uint32_t count) {
    if (!check_buffer(extension, "nk_netif_rx_batch", 1, frames, count * sizeof(nooks_net_frame),
                      false))
        return;
    nooks_net_frame batch[NOOKS_NET_BATCH_MAX];
    memcpy(batch, frames, count * sizeof(nooks_net_frame));
    for (uint32_t i = 0; i < count; ++i) {
        if (batch[i].length <= kernel::net::MAX_FRAME &&
            check_buffer(extension, "nk_netif_rx_batch", 1, batch[i].data, batch[i].length, false))
            net_receive(handle, batch[i].data, batch[i].length);
        else
            net_receive_error(handle);
    }
}

// ---- Sockets (nooks/socket.h). Handles were checked owned; buffers are checked here, where
// their lengths are known.
long isolated_socket_listen(Extension& extension, uint16_t port, int backlog,
                            nk_socket_handle* out) {
    // (How many an extension may hold is bounded by the stack's own connection pool.)
    return socket_listen(&extension, port, backlog, out);
}
long isolated_socket_accept(Extension& extension, nk_socket_handle listener, uint64_t timeout_ms,
                            nk_socket_handle* out, uint32_t* peer_address, uint16_t* peer_port) {
    if ((peer_address && !check_buffer(extension, "nk_socket_accept", 3, peer_address,
                                       sizeof *peer_address, true)) ||
        (peer_port &&
         !check_buffer(extension, "nk_socket_accept", 4, peer_port, sizeof *peer_port, true)))
        return -NK_EFAULT;
    return socket_accept(&extension, listener, timeout_ms, out, peer_address, peer_port);
}
long isolated_socket_connect(Extension& extension, uint32_t address, uint16_t port,
                             uint64_t timeout_ms, nk_socket_handle* out) {
    return socket_connect(&extension, address, port, timeout_ms, out);
}
long isolated_socket_send(Extension& extension, nk_socket_handle socket, const void* data,
                          size_t length) {
    length = nk::min<size_t>(length, SOCKET_TRANSFER_MAX);
    if (!check_buffer(extension, "nk_socket_send", 1, data, length, false))
        return -NK_EFAULT;
    return socket_send(socket, data, length);
}
long isolated_socket_receive(Extension& extension, nk_socket_handle socket, void* buffer,
                             size_t length, uint64_t timeout_ms) {
    length = nk::min<size_t>(length, SOCKET_TRANSFER_MAX);
    if (!check_buffer(extension, "nk_socket_receive", 1, buffer, length, true))
        return -NK_EFAULT;
    return socket_receive(socket, buffer, length, timeout_ms);
}
void isolated_socket_close(Extension&, nk_socket_handle socket) {
    socket_close(socket);
}

// ---- Files (nooks/file.h) and the extension list. The path was checked readable as a string
// of at most NK_FILE_PATH_MAX bytes; file_class copies it before use.
long isolated_file_stat(Extension& extension, const char* path, nk_file_info* out) {
    return file_stat(extension, path, out);
}
long isolated_dir_list(Extension& extension, const char* path, uint64_t start,
                       nk_dir_entry* entries, uint32_t max) {
    if (!check_buffer(extension, "nk_dir_list", 2, entries, nk::u64(max) * sizeof *entries, true))
        return -NK_EFAULT;
    return dir_list(extension, path, start, entries, max);
}
long isolated_socket_send_file(Extension& extension, nk_socket_handle socket, const char* path,
                               nk_send_file* shared) {
    // Copied first, so the extension cannot change it while it is used.
    nk_send_file request;
    memcpy(&request, shared, sizeof request);
    if (request.head_length > SOCKET_TRANSFER_MAX) {
        wrapper_check_failed(extension, "nk_socket_send_file", 2, request.head_length);
        return -NK_EINVAL;
    }
    if (!check_buffer(extension, "nk_socket_send_file", 2, request.head, request.head_length,
                      false))
        return -NK_EFAULT;
    request.receive_size = nk::min<nk::u64>(request.receive_size, SOCKET_TRANSFER_MAX);
    if (request.receive_size && !check_buffer(extension, "nk_socket_send_file", 2, request.receive,
                                              request.receive_size, true))
        return -NK_EFAULT;
    nk::i64 received = -NK_ECANCELED;
    long sent = socket_send_file(extension, socket, path, request, &received);
    shared->received = received; // the structure was checked writable
    return sent;
}
long isolated_extension_list(Extension& extension, nk_extension_info* out, uint32_t max) {
    if (!check_buffer(extension, "nk_extension_list", 0, out, nk::u64(max) * sizeof *out, true))
        return -NK_EFAULT;
    return list_extensions(out, max);
}

long isolated_blkdev_register(Extension& extension, const nooks_block_device_info* info,
                              const nooks_block_ops* ops, void* device, nk_blkdev_handle* out) {
    if (auto charged = charge_resource(extension, Resource::Devices, 1); charged.is_error())
        return -long(charged.error());
    return register_block_device(&extension, *info, *ops, device, out);
}
void isolated_blkdev_unregister(Extension&, nk_blkdev_handle handle) {
    unregister_block_device(handle);
}
long isolated_blkdev_window(Extension&, nk_blkdev_handle handle, uint64_t bytes,
                            nooks_block_window* out) {
    return block_device_window(handle, bytes, out);
}

long isolated_block_open(Extension& extension, const char* name, nooks_block_device_info* info,
                         nk_block_handle* out) {
    return open_block_device(&extension, name, info, out);
}
long isolated_block_read(Extension& extension, nk_block_handle handle, uint64_t sector,
                         uint32_t count, void* buffer) {
    auto& device = opened_block_device(handle);
    if (!check_buffer(extension, "nk_block_read", 3, buffer, nk::u64(count) * device.sector_size(),
                      true))
        return -NK_EFAULT;
    auto done = device.read(sector, count, buffer);
    return done.is_error() ? -long(done.error()) : 0;
}
long isolated_block_write(Extension& extension, nk_block_handle handle, uint64_t sector,
                          uint32_t count, const void* buffer) {
    auto& device = opened_block_device(handle);
    if (!check_buffer(extension, "nk_block_write", 3, buffer, nk::u64(count) * device.sector_size(),
                      false))
        return -NK_EFAULT;
    auto done = device.write(sector, count, buffer);
    return done.is_error() ? -long(done.error()) : 0;
}
// The list is copied first, then each buffer checked: the extension cannot change an extent
// between its check and its use.
long isolated_block_write_extents(Extension& extension, nk_block_handle handle,
                                  const nooks_block_extent* extents, uint32_t count) {
    auto& device = opened_block_device(handle);
    nooks_block_extent copy[NOOKS_BLOCK_EXTENTS_MAX];
    if (!check_buffer(extension, "nk_block_write_extents", 1, extents,
                      nk::u64(count) * sizeof(nooks_block_extent), false))
        return -NK_EFAULT;
    memcpy(copy, extents, count * sizeof(nooks_block_extent));
    for (uint32_t i = 0; i < count; ++i) {
        if (copy[i].count > MAX_BLOCK_SECTORS ||
            !check_buffer(extension, "nk_block_write_extents", 1, copy[i].buffer,
                          nk::u64(copy[i].count) * device.sector_size(), false))
            return -NK_EFAULT;
    }
    for (uint32_t i = 0; i < count; ++i) {
        if (auto done = device.write(copy[i].sector, copy[i].count, copy[i].buffer);
            done.is_error())
            return -long(done.error());
    }
    return 0;
}
void isolated_block_close(Extension&, nk_block_handle handle) {
    close_block_device(handle);
}

long isolated_fs_register(Extension& extension, const char* name, const nooks_fs_ops* ops,
                          nk_fs_handle* out) {
    if (auto charged = charge_resource(extension, Resource::Devices, 1); charged.is_error())
        return -long(charged.error());
    return register_file_system(&extension, name, *ops, out);
}
void isolated_fs_unregister(Extension&, nk_fs_handle handle) {
    unregister_file_system(handle);
}

// nk_free_irq, nk_timer_cancel, nk_dma_free, nk_iounmap, nk_pci_release: the wrapper has already
// checked that the extension owns the handle; giving it back is the same for every kind.
template <typename Handle>
void release_handle(Extension& extension, Handle handle) {
    extension.tracker.release(*reinterpret_cast<TrackedObject*>(handle));
}

// ---- IRQs: the kernel's handler calls the extension's through a crossing.

struct IrqRecord {
    TrackedObject tracked;
    Extension* extension;
    unsigned line;
    nk_irq_handler handler;
    void* context;
    bool held; // the extension's interrupt mask was up: the line waits masked (nk_irq_resume)
};

// Whether the extension is inside an interrupts-off section (kernel_api.h): its handlers and
// timers wait, and the kernel notes that they did.
bool masked_hold(Extension& extension) {
    if (!extension.irq_mask || extension.irq_mask[0] == 0)
        return false;
    extension.irq_mask[1] = 1;
    return true;
}

bool irq_crossing(void* argument) {
    auto* record = static_cast<IrqRecord*>(argument);
    if (masked_hold(*record->extension)) {
        record->held = true;
        kernel::irq::hold_line(record->line);
        return true;
    }
    auto claimed =
        xpc_call(*record->extension, as_domain_function(record->handler), long(record->context));
    if (claimed.has_value())
        net_take_rx_areas(*record->extension);
    if (claimed.is_error()) {
        // The handler faulted (or its extension is not running): nobody acknowledges the
        // device, and a level-triggered line would interrupt again at once, over and over,
        // starving the recovery that is to restart the driver. The line waits masked; the
        // restarted driver's handler unmasks it.
        kernel::irq::hold_line(record->line);
        return true;
    }
    return claimed.value() != 0;
}

void release_irq(TrackedObject& tracked) {
    auto* record = reinterpret_cast<IrqRecord*>(&tracked);
    (void)kernel::irq::unregister_handler(record->line, irq_crossing, record);
    kfree(record);
}

// nk_irq_event: the kernel wakes the driver's thread itself; nothing crosses into the extension
// at interrupt time.
struct IrqEventRecord {
    IrqRecord base; // first: the Irq-kind record the tracker, the limits and storms know
    ExtensionEvent* event;
};

bool irq_event(void* argument) {
    signal_extension_event(*static_cast<IrqEventRecord*>(argument)->event);
    return true;
}

void release_irq_event(TrackedObject& tracked) {
    auto* record = reinterpret_cast<IrqEventRecord*>(&tracked);
    (void)kernel::irq::unregister_handler(record->base.line, irq_event, record);
    kfree(record);
}

} // namespace

unsigned charge_interrupt_storm(unsigned line) {
    struct Search {
        unsigned line;
        unsigned count;
    } search = {line, 0};
    // The owners are failed within the walk, while the registry lock keeps their records from
    // being freed: record_failure waits for nothing (the recovery runs later, elsewhere).
    for_each_extension(
        [](Extension& extension, void* context) {
            auto& search = *static_cast<Search*>(context);
            bool owns = false;
            extension.tracker.for_each(ObjectKind::Irq, [&](TrackedObject& tracked) {
                owns = owns || reinterpret_cast<IrqRecord*>(&tracked)->line == search.line;
            });
            if (!owns || extension.mode != ExtensionMode::Isolated)
                return;
            char cause[112];
            snprintf(cause, sizeof cause,
                     "interrupt storm on IRQ %u: its handler did not quiet the device",
                     search.line);
            record_failure(extension, cause, 0);
            ++search.count;
        },
        &search);
    return search.count;
}

namespace {

long isolated_request_irq(Extension& extension, unsigned line, nk_irq_handler handler,
                          void* context, nk_irq_handle* out) {
    if (auto charged = charge_resource(extension, Resource::Irqs, 1); charged.is_error())
        return -long(charged.error());
    auto* record = static_cast<IrqRecord*>(kmalloc(sizeof(IrqRecord)));
    if (!record)
        return -NK_ENOMEM;
    *record = {{{}, ObjectKind::Irq, release_irq}, &extension, line, handler, context, false};
    auto registered = kernel::irq::register_handler(line, irq_crossing, record);
    if (registered.is_error()) {
        kfree(record);
        return -long(registered.error());
    }
    extension.tracker.add(record->tracked);
    *out = reinterpret_cast<nk_irq_handle>(&record->tracked);
    return 0;
}

long isolated_irq_event(Extension& extension, unsigned line, nk_event_handle event,
                        nk_irq_handle* out) {
    if (auto charged = charge_resource(extension, Resource::Irqs, 1); charged.is_error())
        return -long(charged.error());
    auto* record = static_cast<IrqEventRecord*>(kmalloc(sizeof(IrqEventRecord)));
    if (!record)
        return -NK_ENOMEM;
    *record = {
        {{{}, ObjectKind::Irq, release_irq_event}, &extension, line, nullptr, nullptr, false},
        reinterpret_cast<ExtensionEvent*>(event)};
    auto registered = kernel::irq::register_handler(line, irq_event, record);
    if (registered.is_error()) {
        kfree(record);
        return -long(registered.error());
    }
    extension.tracker.add(record->base.tracked);
    *out = reinterpret_cast<nk_irq_handle>(&record->base.tracked);
    return 0;
}

// ---- Timers: the callback runs in interrupt context, through a crossing.

struct TimerRecord {
    TrackedObject tracked;
    Extension* extension;
    kernel::Timer timer;
    nk_timer_callback callback;
    void* context;
    bool held; // came due while the extension's interrupt mask was up (nk_irq_resume runs it)
};

void timer_crossing(void* argument) {
    auto* record = static_cast<TimerRecord*>(argument);
    if (masked_hold(*record->extension)) {
        record->held = true;
        return;
    }
    (void)xpc_call(*record->extension, as_domain_function(record->callback), long(record->context));
}

// nk_irq_resume: the mask came down; what waited runs now — the lines are unmasked (a device
// still asserting interrupts again at once) and the timer callbacks run as from the tick, with
// interrupts off.
void isolated_irq_resume(Extension& extension) {
    if (!extension.irq_mask || extension.irq_mask[0] != 0)
        return;
    extension.irq_mask[1] = 0;
    extension.tracker.for_each(ObjectKind::Irq, [](TrackedObject& tracked) {
        auto* record = reinterpret_cast<IrqRecord*>(&tracked);
        if (record->held) {
            record->held = false;
            kernel::irq::release_line(record->line);
        }
    });
    TimerRecord* due[16];
    unsigned count = 0;
    extension.tracker.for_each(ObjectKind::Timer, [&](TrackedObject& tracked) {
        auto* record = reinterpret_cast<TimerRecord*>(&tracked);
        if (record->held && count < 16) {
            record->held = false;
            due[count++] = record;
        }
    });
    x86::InterruptGuard guard;
    for (unsigned i = 0; i < count; ++i)
        timer_crossing(due[i]);
}

void release_timer(TrackedObject& tracked) {
    auto* record = reinterpret_cast<TimerRecord*>(&tracked);
    record->~TimerRecord(); // cancels
    kfree(record);
}

long isolated_timer_start(Extension& extension, uint64_t milliseconds, int periodic,
                          nk_timer_callback callback, void* context, nk_timer_handle* out) {
    if (auto charged = charge_resource(extension, Resource::Timers, 1); charged.is_error())
        return -long(charged.error());
    auto* record = static_cast<TimerRecord*>(kmalloc(sizeof(TimerRecord)));
    if (!record)
        return -NK_ENOMEM;
    new (record) TimerRecord{
        {{}, ObjectKind::Timer, release_timer}, &extension, {}, callback, context, false};
    extension.tracker.add(record->tracked);
    if (periodic)
        record->timer.start_periodic(milliseconds, timer_crossing, record);
    else
        record->timer.start_once(milliseconds, timer_crossing, record);
    *out = reinterpret_cast<nk_timer_handle>(&record->tracked);
    return 0;
}

// ---- DMA buffers: a contiguous buddy block, mapped in the module region for both the kernel
// and the extension's domain (writable); released with the extension.

struct DmaRecord {
    TrackedObject tracked;
    Extension* extension;
    nk::u64 phys;
    unsigned order;
    RegionAllocation region;
};

void release_dma(TrackedObject& tracked) {
    auto* record = reinterpret_cast<DmaRecord*>(&tracked);
    record->extension->dma_pages -= 1ull << record->order;
    if (record->extension->domain)
        (void)record->extension->domain->unmap_pages(record->region.base, record->region.pages);
    unmap_module_physical(record->region);
    (void)kernel::memory::frames().free(record->phys, record->order);
    kfree(record);
}

void* isolated_dma_alloc(Extension& extension, size_t size, uint64_t* bus_address,
                         nk_dma_handle* out) {
    unsigned order = kernel::FrameAllocator::order_for_bytes(size);
    if (charge_resource(extension, Resource::DmaPages, 1ull << order).is_error())
        return nullptr;
    auto* record = static_cast<DmaRecord*>(kmalloc(sizeof(DmaRecord)));
    if (!record)
        return nullptr;
    auto block = kernel::memory::frames().allocate(order);
    if (block.is_error()) {
        kfree(record);
        return nullptr;
    }
    auto region = map_module_physical(block.value(), 1ull << order, x86::PageFlags::Write);
    if (region.is_error()) {
        (void)kernel::memory::frames().free(block.value(), order);
        kfree(record);
        return nullptr;
    }
    *record = {
        {{}, ObjectKind::Dma, release_dma}, &extension, block.value(), order, region.value()};
    extension.dma_pages += 1ull << order;
    if (extension.domain
            ->map_shared_pages(region.value().base, region.value().pages, x86::PageFlags::Write)
            .is_error()) {
        release_dma(record->tracked);
        return nullptr;
    }
    memset(reinterpret_cast<void*>(region.value().base), 0, region.value().pages * 4096);
    extension.tracker.add(record->tracked);
    *bus_address = block.value();
    *out = reinterpret_cast<nk_dma_handle>(&record->tracked);
    return reinterpret_cast<void*>(region.value().base);
}

// ---- PCI devices: the claim is a tracked object; a crash releases it (bus mastering off).

struct PciRecord {
    TrackedObject tracked;
    kernel::pci::PciDevice* device;
};

// The domain's I/O permission bitmap: exactly the ports of the devices it holds a claim on.
void refresh_port_access(Extension& extension) {
    if (!extension.domain)
        return;
    extension.domain->deny_all_ports();
    extension.tracker.for_each(ObjectKind::PciDevice, [&](TrackedObject& tracked) {
        for_each_port_range(
            *reinterpret_cast<PciRecord*>(&tracked)->device,
            [](nk::u16 first, nk::u32 count, void* domain) {
                static_cast<ProtectionDomain*>(domain)->allow_ports(first, count);
            },
            extension.domain);
    });
}

void release_pci(TrackedObject& tracked) {
    auto* record = reinterpret_cast<PciRecord*>(&tracked);
    release_pci_device(*record->device);
    kfree(record);
}

// nk_pci_release: the ports go with the claim.
void isolated_pci_release(Extension& extension, nk_pci_device handle) {
    extension.tracker.release(*reinterpret_cast<TrackedObject*>(handle));
    refresh_port_access(extension);
}

long isolated_pci_claim(Extension& extension, uint16_t vendor, uint16_t device,
                        nk_pci_device* out) {
    auto* record = static_cast<PciRecord*>(kmalloc(sizeof(PciRecord)));
    if (!record)
        return -NK_ENOMEM;
    auto claimed = claim_pci_device(vendor, device);
    if (claimed.is_error()) {
        kfree(record);
        return -long(claimed.error());
    }
    *record = {{{}, ObjectKind::PciDevice, release_pci}, claimed.value()};
    extension.tracker.add(record->tracked);
    refresh_port_access(extension);
    *out = reinterpret_cast<nk_pci_device>(&record->tracked);
    return 0;
}

kernel::pci::PciDevice& device_of(nk_pci_device handle) {
    return *reinterpret_cast<PciRecord*>(handle)->device;
}

long isolated_pci_get_bar(Extension&, nk_pci_device handle, unsigned index, nk_pci_bar* out) {
    return pci_bar(device_of(handle), index, out);
}

long isolated_pci_irq_line(Extension&, nk_pci_device handle) {
    return pci_irq_line(device_of(handle));
}

void isolated_pci_enable(Extension&, nk_pci_device handle) {
    pci_enable(device_of(handle));
}

// ---- Device registers: uncached, in the module region for kernel and domain. Only memory BARs
// of PCI devices the extension has claimed: it maps its own device, nothing else.

// Wrapper policy: a port range of a device the extension claimed.
template <unsigned Width>
struct ClaimedPorts {
    static bool check(Extension& extension, uint16_t port) {
        bool owned = false;
        extension.tracker.for_each(ObjectKind::PciDevice, [&](TrackedObject& tracked) {
            owned = owned ||
                    device_owns_ports(*reinterpret_cast<PciRecord*>(&tracked)->device, port, Width);
        });
        return owned;
    }
};

bool inside_claimed_bar(Extension& extension, nk::u64 phys, nk::u64 size) {
    bool inside = false;
    extension.tracker.for_each(ObjectKind::PciDevice, [&](TrackedObject& tracked) {
        auto& device = *reinterpret_cast<PciRecord*>(&tracked)->device;
        for (unsigned i = 0; i < kernel::pci::MAX_BARS; ++i) {
            const auto& bar = device.bar(i);
            if (bar.is_memory() && phys >= bar.address && size <= bar.size &&
                phys - bar.address <= bar.size - size)
                inside = true;
        }
    });
    return inside;
}

struct MmioRecord {
    TrackedObject tracked;
    Extension* extension;
    RegionAllocation region;
};

void release_mmio(TrackedObject& tracked) {
    auto* record = reinterpret_cast<MmioRecord*>(&tracked);
    if (record->extension->domain)
        (void)record->extension->domain->unmap_pages(record->region.base, record->region.pages);
    unmap_module_physical(record->region);
    kfree(record);
}

volatile void* isolated_ioremap(Extension& extension, uint64_t phys, size_t size,
                                nk_mmio_handle* out) {
    nk::u64 first = nk::align_down(phys, 4096);
    nk::u64 pages = (phys - first + size + 4095) / 4096;
    if (!inside_claimed_bar(extension, phys, size)) {
        kprintf("nooks: extension '%s': ioremap of 0x%llx refused: not a memory BAR of a device "
                "it claimed\n",
                extension.name, (unsigned long long)phys);
        return nullptr;
    }
    auto* record = static_cast<MmioRecord*>(kmalloc(sizeof(MmioRecord)));
    if (!record)
        return nullptr;
    constexpr auto flags = x86::PageFlags::Write | x86::PageFlags::NoCache;
    auto region = map_module_physical(first, pages, flags);
    if (region.is_error()) {
        kfree(record);
        return nullptr;
    }
    *record = {{{}, ObjectKind::Mmio, release_mmio}, &extension, region.value()};
    if (extension.domain->map_shared_pages(region.value().base, pages, flags).is_error()) {
        release_mmio(record->tracked);
        return nullptr;
    }
    extension.tracker.add(record->tracked);
    *out = reinterpret_cast<nk_mmio_handle>(&record->tracked);
    return reinterpret_cast<volatile void*>(region.value().base + (phys - first));
}

// ---- Port I/O, through the claimed-ports check.

uint8_t isolated_inb(Extension&, uint16_t port) {
    return x86::inb(port);
}
uint16_t isolated_inw(Extension&, uint16_t port) {
    return x86::inw(port);
}
uint32_t isolated_inl(Extension&, uint16_t port) {
    return x86::inl(port);
}
void isolated_outb(Extension&, uint16_t port, uint8_t value) {
    x86::outb(port, value);
}
void isolated_outw(Extension&, uint16_t port, uint16_t value) {
    x86::outw(port, value);
}
void isolated_outl(Extension&, uint16_t port, uint32_t value) {
    x86::outl(port, value);
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
    nk::u64 traced =
        trace_begin(extension.trace, TraceDirection::Out, 0, "nk_log", trace_value(format), 0, 0);
    char line[256];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    kprintf("[%s] %s", extension.name, line);
    trace_end(extension.trace, traced, TraceOutcome::Returned, 0);
}

// nk_bug goes through the kernel's own panic: the interceptor fails the extension.
[[noreturn]] void isolated_bug(const char* message) {
    KernelEntry entry;
    Extension& extension = *current_extension();
    (void)trace_begin(extension.trace, TraceDirection::Out, 0, "nk_bug", trace_value(message), 0,
                      0);
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
    {"nk_irq_resume", address_of(&Wrapper<"nk_irq_resume", isolated_irq_resume>::entry)},
    {"nk_param", address_of(&Wrapper<"nk_param", isolated_param, DomainString<32>, Unchecked,
                                     AtMost<MAX_PARAMETERS>>::entry)},
    {"nk_incarnation", address_of(&Wrapper<"nk_incarnation", isolated_incarnation>::entry)},
    {"nk_uptime_ns", address_of(&Wrapper<"nk_uptime_ns", isolated_uptime>::entry)},
    {"nk_time_seconds", address_of(&Wrapper<"nk_time_seconds", isolated_time>::entry)},
    {"nk_clock", address_of(&Wrapper<"nk_clock", isolated_clock>::entry)},
    {"nk_sleep_ms",
     address_of(&Wrapper<"nk_sleep_ms", isolated_sleep, AtMost<MAX_SLEEP_MS>>::entry)},
    {"nk_request_irq",
     address_of(&Wrapper<"nk_request_irq", isolated_request_irq, AtMost<15>, ModuleCode, Unchecked,
                         WritableOut<sizeof(nk_irq_handle)>>::entry)},
    {"nk_irq_event",
     address_of(
         &Wrapper<"nk_irq_event", isolated_irq_event, AtMost<15>, OwnedHandle<ObjectKind::Event>,
                  WritableOut<sizeof(nk_irq_handle)>>::entry)},
    {"nk_free_irq", address_of(&Wrapper<"nk_free_irq", release_handle<nk_irq_handle>,
                                        OwnedHandle<ObjectKind::Irq>>::entry)},
    {"nk_timer_start",
     address_of(&Wrapper<"nk_timer_start", isolated_timer_start, AtMost<3600000>, Unchecked,
                         ModuleCode, Unchecked, WritableOut<sizeof(nk_timer_handle)>>::entry)},
    {"nk_dma_alloc",
     address_of(
         &Wrapper<"nk_dma_alloc", isolated_dma_alloc, AtMost<MAX_ALLOCATION>,
                  WritableOut<sizeof(uint64_t)>, WritableOut<sizeof(nk_dma_handle)>>::entry)},
    {"nk_dma_free", address_of(&Wrapper<"nk_dma_free", release_handle<nk_dma_handle>,
                                        OwnedHandle<ObjectKind::Dma>>::entry)},
    {"nk_ioremap",
     address_of(&Wrapper<"nk_ioremap", isolated_ioremap, Unchecked, AtMost<16ull << 20>,
                         WritableOut<sizeof(nk_mmio_handle)>>::entry)},
    {"nk_iounmap", address_of(&Wrapper<"nk_iounmap", release_handle<nk_mmio_handle>,
                                       OwnedHandle<ObjectKind::Mmio>>::entry)},
    {"nk_inb", address_of(&Wrapper<"nk_inb", isolated_inb, ClaimedPorts<1>>::entry)},
    {"nk_inw", address_of(&Wrapper<"nk_inw", isolated_inw, ClaimedPorts<2>>::entry)},
    {"nk_inl", address_of(&Wrapper<"nk_inl", isolated_inl, ClaimedPorts<4>>::entry)},
    {"nk_outb", address_of(&Wrapper<"nk_outb", isolated_outb, ClaimedPorts<1>, Unchecked>::entry)},
    {"nk_outw", address_of(&Wrapper<"nk_outw", isolated_outw, ClaimedPorts<2>, Unchecked>::entry)},
    {"nk_outl", address_of(&Wrapper<"nk_outl", isolated_outl, ClaimedPorts<4>, Unchecked>::entry)},
    {"nk_pci_claim", address_of(&Wrapper<"nk_pci_claim", isolated_pci_claim, Unchecked, Unchecked,
                                         WritableOut<sizeof(nk_pci_device)>>::entry)},
    {"nk_pci_release", address_of(&Wrapper<"nk_pci_release", isolated_pci_release,
                                           OwnedHandle<ObjectKind::PciDevice>>::entry)},
    {"nk_pci_get_bar",
     address_of(&Wrapper<"nk_pci_get_bar", isolated_pci_get_bar, OwnedHandle<ObjectKind::PciDevice>,
                         AtMost<5>, WritableOut<sizeof(nk_pci_bar)>>::entry)},
    {"nk_pci_irq_line", address_of(&Wrapper<"nk_pci_irq_line", isolated_pci_irq_line,
                                            OwnedHandle<ObjectKind::PciDevice>>::entry)},
    {"nk_pci_enable", address_of(&Wrapper<"nk_pci_enable", isolated_pci_enable,
                                          OwnedHandle<ObjectKind::PciDevice>>::entry)},
    {"nk_timer_cancel", address_of(&Wrapper<"nk_timer_cancel", release_handle<nk_timer_handle>,
                                            OwnedHandle<ObjectKind::Timer>>::entry)},
    {"nk_thread_create",
     address_of(&Wrapper<"nk_thread_create", isolated_thread_create, DomainString<24>, ModuleCode,
                         Unchecked, WritableOut<sizeof(nk_thread_handle)>>::entry)},
    {"nk_thread_stop",
     address_of(
         &Wrapper<"nk_thread_stop", isolated_thread_stop, OwnedHandle<ObjectKind::Thread>>::entry)},
    {"nk_thread_should_stop",
     address_of(&Wrapper<"nk_thread_should_stop", isolated_thread_should_stop>::entry)},
    {"nk_mutex_create", address_of(&Wrapper<"nk_mutex_create", isolated_mutex_create,
                                            WritableOut<sizeof(nk_mutex_handle)>>::entry)},
    {"nk_mutex_lock",
     address_of(
         &Wrapper<"nk_mutex_lock", isolated_mutex_lock, OwnedHandle<ObjectKind::Mutex>>::entry)},
    {"nk_mutex_unlock", address_of(&Wrapper<"nk_mutex_unlock", isolated_mutex_unlock,
                                            OwnedHandle<ObjectKind::Mutex>>::entry)},
    {"nk_mutex_destroy", address_of(&Wrapper<"nk_mutex_destroy", isolated_mutex_destroy,
                                             OwnedHandle<ObjectKind::Mutex>>::entry)},
    {"nk_event_create", address_of(&Wrapper<"nk_event_create", isolated_event_create,
                                            WritableOut<sizeof(nk_event_handle)>>::entry)},
    {"nk_event_wait", address_of(&Wrapper<"nk_event_wait", isolated_event_wait,
                                          OwnedHandle<ObjectKind::Event>, Unchecked>::entry)},
    {"nk_event_signal", address_of(&Wrapper<"nk_event_signal", isolated_event_signal,
                                            OwnedHandle<ObjectKind::Event>>::entry)},
    {"nk_event_destroy", address_of(&Wrapper<"nk_event_destroy", isolated_event_destroy,
                                             OwnedHandle<ObjectKind::Event>>::entry)},
    {"nk_netdev_register",
     address_of(
         &Wrapper<"nk_netdev_register", isolated_netdev_register,
                  ReadableIn<sizeof(nooks_net_device_info)>, ReadableIn<sizeof(nooks_net_ops)>,
                  Unchecked, WritableOut<sizeof(nk_netdev_handle)>>::entry)},
    {"nk_netdev_unregister", address_of(&Wrapper<"nk_netdev_unregister", isolated_netdev_unregister,
                                                 OwnedHandle<ObjectKind::NetDevice>>::entry)},
    {"nk_netif_rx",
     address_of(&Wrapper<"nk_netif_rx", isolated_netif_rx, OwnedHandle<ObjectKind::NetDevice>,
                         Unchecked, AtMost<kernel::net::MAX_FRAME>>::entry)},
    {"nk_netif_rx_area",
     address_of(
         &Wrapper<"nk_netif_rx_area", isolated_netif_rx_area, OwnedHandle<ObjectKind::NetDevice>,
                  WritableOut<sizeof(nooks_net_rx_area)>>::entry)},
    {"nk_netif_link", address_of(&Wrapper<"nk_netif_link", isolated_netif_link,
                                          OwnedHandle<ObjectKind::NetDevice>, Unchecked>::entry)},
    {"nk_netif_rx_batch",
     address_of(
         &Wrapper<"nk_netif_rx_batch", isolated_netif_rx_batch, OwnedHandle<ObjectKind::NetDevice>,
                  Unchecked, AtMost<NOOKS_NET_BATCH_MAX>>::entry)},
    {"nk_blkdev_register",
     address_of(
         &Wrapper<"nk_blkdev_register", isolated_blkdev_register,
                  ReadableIn<sizeof(nooks_block_device_info)>, ReadableIn<sizeof(nooks_block_ops)>,
                  Unchecked, WritableOut<sizeof(nk_blkdev_handle)>>::entry)},
    {"nk_blkdev_unregister", address_of(&Wrapper<"nk_blkdev_unregister", isolated_blkdev_unregister,
                                                 OwnedHandle<ObjectKind::BlockDevice>>::entry)},
    {"nk_socket_listen",
     address_of(&Wrapper<"nk_socket_listen", isolated_socket_listen, AtMost<65535>, Unchecked,
                         WritableOut<sizeof(nk_socket_handle)>>::entry)},
    {"nk_socket_accept",
     address_of(
         &Wrapper<"nk_socket_accept", isolated_socket_accept, OwnedHandle<ObjectKind::Socket>,
                  Unchecked, WritableOut<sizeof(nk_socket_handle)>, Unchecked, Unchecked>::entry)},
    {"nk_socket_connect",
     address_of(&Wrapper<"nk_socket_connect", isolated_socket_connect, Unchecked, AtMost<65535>,
                         Unchecked, WritableOut<sizeof(nk_socket_handle)>>::entry)},
    {"nk_socket_send",
     address_of(&Wrapper<"nk_socket_send", isolated_socket_send, OwnedHandle<ObjectKind::Socket>,
                         Unchecked, Unchecked>::entry)},
    {"nk_socket_receive",
     address_of(&Wrapper<"nk_socket_receive", isolated_socket_receive,
                         OwnedHandle<ObjectKind::Socket>, Unchecked, Unchecked, Unchecked>::entry)},
    {"nk_socket_close", address_of(&Wrapper<"nk_socket_close", isolated_socket_close,
                                            OwnedHandle<ObjectKind::Socket>>::entry)},
    {"nk_file_stat",
     address_of(&Wrapper<"nk_file_stat", isolated_file_stat, DomainString<NK_FILE_PATH_MAX>,
                         WritableOut<sizeof(nk_file_info)>>::entry)},
    {"nk_dir_list",
     address_of(&Wrapper<"nk_dir_list", isolated_dir_list, DomainString<NK_FILE_PATH_MAX>,
                         Unchecked, Unchecked, AtMost<NK_DIR_LIST_MAX>>::entry)},
    {"nk_socket_send_file",
     address_of(
         &Wrapper<"nk_socket_send_file", isolated_socket_send_file, OwnedHandle<ObjectKind::Socket>,
                  DomainString<NK_FILE_PATH_MAX>, WritableOut<sizeof(nk_send_file)>>::entry)},
    {"nk_extension_list", address_of(&Wrapper<"nk_extension_list", isolated_extension_list,
                                              Unchecked, AtMost<NK_EXTENSION_LIST_MAX>>::entry)},
    {"nk_blkdev_window",
     address_of(
         &Wrapper<"nk_blkdev_window", isolated_blkdev_window, OwnedHandle<ObjectKind::BlockDevice>,
                  Unchecked, WritableOut<sizeof(nooks_block_window)>>::entry)},
    {"nk_block_open", address_of(&Wrapper<"nk_block_open", isolated_block_open, DomainString<16>,
                                          WritableOut<sizeof(nooks_block_device_info)>,
                                          WritableOut<sizeof(nk_block_handle)>>::entry)},
    {"nk_block_read",
     address_of(&Wrapper<"nk_block_read", isolated_block_read, OwnedHandle<ObjectKind::BlockClient>,
                         Unchecked, AtMost<MAX_BLOCK_SECTORS>, Unchecked>::entry)},
    {"nk_block_write",
     address_of(
         &Wrapper<"nk_block_write", isolated_block_write, OwnedHandle<ObjectKind::BlockClient>,
                  Unchecked, AtMost<MAX_BLOCK_SECTORS>, Unchecked>::entry)},
    {"nk_block_write_extents",
     address_of(&Wrapper<"nk_block_write_extents", isolated_block_write_extents,
                         OwnedHandle<ObjectKind::BlockClient>, Unchecked,
                         AtMost<NOOKS_BLOCK_EXTENTS_MAX>>::entry)},
    {"nk_block_close", address_of(&Wrapper<"nk_block_close", isolated_block_close,
                                           OwnedHandle<ObjectKind::BlockClient>>::entry)},
    {"nk_fs_register",
     address_of(
         &Wrapper<"nk_fs_register", isolated_fs_register, DomainString<16>,
                  ReadableIn<sizeof(nooks_fs_ops)>, WritableOut<sizeof(nk_fs_handle)>>::entry)},
    {"nk_fs_unregister", address_of(&Wrapper<"nk_fs_unregister", isolated_fs_unregister,
                                             OwnedHandle<ObjectKind::FileSystem>>::entry)},
};

static_assert(sizeof g_exports / sizeof g_exports[0] <= x86::SERVICE_STUBS,
              "one gate stub per service");

} // namespace

nk::Span<const KernelExport> isolated_exports() {
    return nk::Span<const KernelExport>(g_exports);
}

nk::Result<nk::u64> find_isolated_export(const char* name) {
    // The import is bound to the gate stub of the service's index: it runs at CPL 1 in the
    // domain, and the gate brings the call to service_call (xpc.h), which calls the wrapper.
    for (unsigned i = 0; i < sizeof g_exports / sizeof g_exports[0]; ++i) {
        if (strcmp(g_exports[i].name, name) == 0)
            return x86::service_stub(i);
    }
    return nk::Error::NoEntry;
}

} // namespace nooks
