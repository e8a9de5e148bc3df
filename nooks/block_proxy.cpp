// Block devices registered by extensions: a kernel::block::BlockDevice whose transfers cross
// into the driver. An isolated driver gets the request and the data in a bounce buffer in its
// own heap, at most BOUNCE_BYTES per crossing — or, when it asked for a transfer window
// (nk_blkdev_window), the data in that window, which its DMA engine reaches directly: one copy
// (the kernel's, as a native driver makes its own), not two. Natively it works on the caller's
// buffer. Also
// the client side: a file-system extension opening a registered device by name.
//
// The proxy outlives the driver's crashes (shadow-driver style). The kernel device ("hda") is
// bound to one incarnation of the driver at a time; when an isolated driver crashes, recovery
// orphans the device instead of unregistering it: it stays registered, with its buffer cache,
// its users and their references, and requests wait. When the restarted driver registers a
// device of the same name and geometry, the device is bound to it again and the waiting
// requests go on — a request the crash cut short is replayed once. A driver that does not come
// back (disabled, failed, a disk gone) leaves its orphans unregistered when recovery ends, and
// their waiting requests fail.
#include <arch/x86/interrupt_state.h>
#include <kernel/block/block_device.h>
#include <kernel/block/buffer_cache.h>
#include <kernel/memory/frame_allocator.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/sync/mutex.h>
#include <nooks/device_classes.h>
#include <nooks/extension_manager.h>
#include <nooks/module_region.h>
#include <nooks/protection_domain.h>
#include <nooks/rebinding.h>
#include <nooks/resource_limits.h>
#include <nooks/xpc.h>

#include <stdio.h>
#include <string.h>

namespace nooks {

namespace {

constexpr nk::u64 BOUNCE_BYTES = 256 * 1024;
// The largest transfer window: a run of the buffer cache (its largest request).
constexpr nk::u64 WINDOW_BYTES_MAX = kernel::block::CACHE_RUN_BYTES;

class ExtensionBlockDevice;

// A transfer window (nk_blkdev_window): kernel frames, mapped in the module region and shared
// into the driver's domain. Freed with its binding, after the binding's last call.
struct TransferWindow {
    nk::u64 phys;
    unsigned order;
    RegionAllocation region; // region.pages == 0: none
    bool shared;             // mapped in the driver's domain (and counted in its DMA pages)
};

// The device's tie to one incarnation of its driver.
struct BlockBinding {
    ClassRegistration registration; // first: the handle is &registration.tracked
    ExtensionBlockDevice* device;
    nooks_block_ops ops;
    void* context;
    TransferWindow window;
    nk::u64 window_bytes; // published last: nonzero once the window can be used
};

// Transfers through a window, one at a time (the cache makes its device I/O one at a time
// anyway; this covers the direct paths too).
kernel::Mutex g_window_lock;

struct WindowLock {
    explicit WindowLock(bool take) : held(take) {
        if (held)
            g_window_lock.lock();
    }
    ~WindowLock() {
        if (held)
            g_window_lock.unlock();
    }
    WindowLock(const WindowLock&) = delete;
    WindowLock& operator=(const WindowLock&) = delete;
    bool held;
};

class ExtensionBlockDevice final : public kernel::block::BlockDevice {
public:
    ExtensionBlockDevice(const nooks_block_device_info& info, Extension* owner)
        : BlockDevice(info.name, info.sector_size, info.sector_count), owner(owner) {}

    Extension* owner; // the extension that registered it (rebinds go to the same one)
    Rebinding<BlockBinding> bound;
    nk::IntrusiveListNode orphan_node;
    nk::IntrusiveListNode proxied_node; // g_proxied, for as long as the object lives

protected:
    nk::ErrorOr do_read(nk::u64 sector, nk::u32 count, void* buffer) override {
        return transfer(NOOKS_BLOCK_READ, sector, count, static_cast<nk::u8*>(buffer));
    }
    nk::ErrorOr do_write(nk::u64 sector, nk::u32 count, const void* buffer) override {
        return transfer(NOOKS_BLOCK_WRITE, sector, count,
                        const_cast<nk::u8*>(static_cast<const nk::u8*>(buffer)));
    }
    nk::ErrorOr do_flush() override { return transfer(NOOKS_BLOCK_FLUSH, 0, 0, nullptr); }

    void destroy() override;

private:
    // A crash under the request (or a driver on its way out): once it is back, the whole
    // request again — a read or write of whole sectors is idempotent.
    nk::ErrorOr transfer(nk::u32 operation, nk::u64 sector, nk::u32 count, nk::u8* data) {
        return bound.with_replay(
            [&](BlockBinding& binding) {
                return transfer_once(binding, operation, sector, count, data);
            },
            [this] { return !is_registered(); });
    }

    AttemptOutcome transfer_once(BlockBinding& binding, nk::u32 operation, nk::u64 sector,
                                 nk::u32 count, nk::u8* data) {
        ClassRegistration& registration = binding.registration;
        nk::u64 window_bytes = __atomic_load_n(&binding.window_bytes, __ATOMIC_ACQUIRE);
        bool windowed = window_bytes >= sector_size();
        auto* window = reinterpret_cast<nk::u8*>(binding.window.region.base);
        if (!registration.isolated()) {
            auto function = reinterpret_cast<const void*>(binding.ops.transfer);
            if (!windowed || !data) {
                nooks_block_request request = {sector, count, operation, data};
                auto called = registration.call(function, long(binding.context), long(&request));
                return {status_of(called), called.is_error()};
            }
            // The same data path as isolated (through the window), so the two differ only by
            // the crossing.
            nooks_block_request request = {};
            WindowLock window_lock(true);
            return in_pieces(binding, request, window, window_bytes / sector_size(), nullptr,
                             operation, sector, count, data);
        }
        nk::u64 per_crossing =
            nk::max<nk::u64>(1, (windowed ? window_bytes : BOUNCE_BYTES) / sector_size());
        nk::u64 bounce_bytes = windowed ? 0 : nk::min<nk::u64>(count, per_crossing) * sector_size();
        BounceBuffer bounce(*registration.extension, sizeof(nooks_block_request) + bounce_bytes);
        if (!bounce.ok())
            return {nk::Error::NoMemory, false};
        auto* request = bounce.as<nooks_block_request>();
        if (!windowed)
            window = reinterpret_cast<nk::u8*>(request + 1);
        WindowLock window_lock(windowed);
        return in_pieces(binding, *request, window, per_crossing, &bounce, operation, sector, count,
                         data);
    }

    // The transfer in calls of at most `per_crossing` sectors, the data through `window` (the
    // driver's transfer window or a bounce buffer): copied in before a write, out after a read.
    AttemptOutcome in_pieces(BlockBinding& binding, nooks_block_request& request, nk::u8* window,
                             nk::u64 per_crossing, BounceBuffer* bounce, nk::u32 operation,
                             nk::u64 sector, nk::u32 count, nk::u8* data) {
        auto function = reinterpret_cast<const void*>(binding.ops.transfer);
        nk::u32 done = 0;
        for (;;) {
            nk::u32 chunk = nk::u32(nk::min<nk::u64>(count - done, per_crossing));
            nk::u64 bytes = nk::u64(chunk) * sector_size();
            request = {sector + done, chunk, operation, chunk ? window : nullptr};
            if (operation == NOOKS_BLOCK_WRITE)
                memcpy(window, data + nk::u64(done) * sector_size(), bytes);
            auto called =
                binding.registration.call(function, long(binding.context), long(&request));
            if (bounce)
                bounce->after(called);
            if (called.is_error())
                return {called.error(), true};
            if (called.value() < 0)
                return {nk::Error(int(-called.value())), false};
            if (operation == NOOKS_BLOCK_READ)
                memcpy(data + nk::u64(done) * sector_size(), window, bytes);
            done += chunk;
            if (done >= count)
                return {{}, false};
        }
    }
};

OrphanList<ExtensionBlockDevice, &ExtensionBlockDevice::orphan_node> g_orphans;
nk::IntrusiveList<ExtensionBlockDevice, &ExtensionBlockDevice::proxied_node> g_proxied;

void ExtensionBlockDevice::destroy() {
    {
        x86::InterruptGuard guard;
        g_proxied.remove(*this);
    }
    this->~ExtensionBlockDevice();
    kfree(this);
}

// The tracked object goes (unregister, unload, or recovery releasing what the old incarnation
// held). In a recovery the device is orphaned rather than unregistered.
void release_block_device(TrackedObject& tracked) {
    auto* binding = reinterpret_cast<BlockBinding*>(&tracked);
    ExtensionBlockDevice* device = binding->device;
    Extension* extension = binding->registration.extension;
    // The driver lets go of its window now; the kernel's mapping stays until the last call ends.
    TransferWindow& window = binding->window;
    if (window.shared && extension) {
        if (extension->domain)
            (void)extension->domain->unmap_pages(window.region.base, window.region.pages);
        extension->dma_pages -= window.region.pages;
        window.shared = false;
    }
    if (extension && extension->mode == ExtensionMode::Isolated &&
        extension->state == ExtensionState::Recovering && device->is_registered() &&
        device->bound.orphan(*binding))
        g_orphans.add(*device);
    binding->registration.retire();
}

// The binding's last call is over. If the device is still bound to it (not orphaned, not
// rebound), the device goes with it.
void destroy_block_binding(ClassRegistration& registration) {
    auto* binding = reinterpret_cast<BlockBinding*>(&registration);
    ExtensionBlockDevice* device = binding->device;
    if (device->bound.release(*binding))
        kernel::block::unregister_device(*device);
    if (binding->window.region.pages) {
        unmap_module_physical(binding->window.region);
        (void)kernel::memory::frames().free(binding->window.phys, binding->window.order);
    }
    kfree(binding);
}

// A file system's open block device: a reference, tracked.
struct BlockClient {
    TrackedObject tracked;
    kernel::block::BlockDevice* device;
    Extension* owner;
};

void release_block_client(TrackedObject& tracked) {
    auto* client = reinterpret_cast<BlockClient*>(&tracked);
    client->device->unref();
    kfree(client);
}

void end_orphan(ExtensionBlockDevice& device, const char* why) {
    device.bound.end();
    kprintf("nooks: block device %s: %s; unregistered\n", device.name(), why);
    kernel::block::unregister_device(device);
}

} // namespace

nk_status register_block_device(Extension* extension, const nooks_block_device_info& info,
                                const nooks_block_ops& ops, void* context, nk_blkdev_handle* out) {
    if (!memchr(info.name, 0, sizeof info.name) || !ops.transfer ||
        !op_ok(extension, reinterpret_cast<const void*>(ops.transfer)) || info.sector_count == 0)
        return -NK_EINVAL;
    auto* binding = static_cast<BlockBinding*>(kzalloc(sizeof(BlockBinding)));
    if (!binding)
        return -NK_ENOMEM;
    binding->registration.init(ObjectKind::BlockDevice, release_block_device, destroy_block_binding,
                               extension);
    binding->ops = ops;
    binding->context = context;
    // The restarted driver of an orphaned device: the same device again, if it is the same disk.
    if (ExtensionBlockDevice* orphan =
            extension ? g_orphans.adopt(extension, info.name, sizeof info.name) : nullptr) {
        if (orphan->sector_size() == info.sector_size &&
            orphan->sector_count() == info.sector_count) {
            binding->device = orphan;
            if (extension)
                extension->tracker.add(binding->registration.tracked);
            orphan->bound.bind(*binding);
            *out = reinterpret_cast<nk_blkdev_handle>(&binding->registration.tracked);
            return 0;
        }
        end_orphan(*orphan, "the restarted driver reports another geometry");
    }
    void* memory = kmalloc(sizeof(ExtensionBlockDevice));
    if (!memory) {
        kfree(binding);
        return -NK_ENOMEM;
    }
    auto* device = new (memory) ExtensionBlockDevice(info, extension);
    {
        x86::InterruptGuard guard;
        g_proxied.push_back(*device);
    }
    binding->device = device;
    device->bound.binding = binding;
    if (auto registered = kernel::block::register_device(*device); registered.is_error()) {
        device->bound.binding = nullptr;
        device->unref();
        kfree(binding);
        return -long(registered.error());
    }
    if (extension)
        extension->tracker.add(binding->registration.tracked);
    *out = reinterpret_cast<nk_blkdev_handle>(&binding->registration.tracked);
    return 0;
}

nk_status block_device_window(nk_blkdev_handle handle, nk::u64 bytes, nooks_block_window* out) {
    auto* binding = reinterpret_cast<BlockBinding*>(handle);
    TransferWindow& window = binding->window;
    Extension* extension = binding->registration.extension;
    if (!window.region.pages) {
        if (bytes == 0 || bytes > WINDOW_BYTES_MAX)
            return -NK_EINVAL;
        unsigned order = kernel::FrameAllocator::order_for_bytes(bytes);
        nk::u64 pages = 1ull << order;
        if (extension && charge_resource(*extension, Resource::DmaPages, pages).is_error())
            return -NK_ENOMEM;
        auto frames = kernel::memory::frames().allocate(order);
        if (frames.is_error())
            return -NK_ENOMEM;
        auto region = map_module_physical(frames.value(), pages, x86::PageFlags::Write);
        if (region.is_error()) {
            (void)kernel::memory::frames().free(frames.value(), order);
            return -NK_ENOMEM;
        }
        if (extension && extension->domain &&
            extension->domain->map_shared_pages(region.value().base, pages, x86::PageFlags::Write)
                .is_error()) {
            unmap_module_physical(region.value());
            (void)kernel::memory::frames().free(frames.value(), order);
            return -NK_ENOMEM;
        }
        memset(reinterpret_cast<void*>(region.value().base), 0, pages * 4096);
        window = {frames.value(), order, region.value(), extension != nullptr};
        if (extension)
            extension->dma_pages += pages;
        __atomic_store_n(&binding->window_bytes, pages * 4096, __ATOMIC_RELEASE);
    }
    *out = {reinterpret_cast<void*>(window.region.base), window.phys, binding->window_bytes};
    return 0;
}

void unregister_block_device(nk_blkdev_handle handle) {
    auto* binding = reinterpret_cast<BlockBinding*>(handle);
    auto& registration = binding->registration;
    // The driver is letting the disk go: what the cache holds for it goes to it first.
    if (auto written = kernel::block::cache_write_back(binding->device, true); written.is_error())
        kprintf("nooks: block device %s: write-back before unregistering failed: %s\n",
                binding->device->name(), nk::error_name(written.error()));
    if (registration.extension)
        registration.extension->tracker.remove(registration.tracked);
    registration.retire();
}

void finish_block_recovery(Extension& extension) {
    while (ExtensionBlockDevice* orphan = g_orphans.take(&extension))
        end_orphan(*orphan, extension.state == ExtensionState::Running
                                ? "not registered again by the restarted driver"
                                : "its driver did not come back");
}

nk::usize format_block_recovery(const Extension& extension, char* buffer, nk::usize size) {
    nk::usize used = 0;
    x86::InterruptGuard guard;
    for (auto& device : g_proxied) {
        if (device.owner != &extension || used >= size)
            continue;
        int wrote = snprintf(buffer + used, size - used,
                             "  device %s: %llu requests replayed, last interruption %llu us%s\n",
                             device.name(), (unsigned long long)device.bound.replays,
                             (unsigned long long)(device.bound.interrupted_ns / 1000),
                             device.bound.orphaned ? " (waiting for its driver)" : "");
        if (wrote > 0)
            used = nk::min(size, used + nk::usize(wrote));
    }
    return used;
}

nk_status open_block_device(Extension* extension, const char* name, nooks_block_device_info* info,
                            nk_block_handle* out) {
    auto* client = static_cast<BlockClient*>(kmalloc(sizeof(BlockClient)));
    if (!client)
        return -NK_ENOMEM;
    kernel::block::BlockDevice* device = kernel::block::find(name);
    if (!device) {
        kfree(client);
        return -NK_ENODEV;
    }
    *client = {{{}, ObjectKind::BlockClient, release_block_client}, device, extension};
    *info = {};
    strncpy(info->name, device->name(), sizeof info->name - 1);
    info->sector_size = device->sector_size();
    info->sector_count = device->sector_count();
    if (extension)
        extension->tracker.add(client->tracked);
    *out = reinterpret_cast<nk_block_handle>(&client->tracked);
    return 0;
}

kernel::block::BlockDevice& opened_block_device(nk_block_handle handle) {
    return *reinterpret_cast<BlockClient*>(handle)->device;
}

void close_block_device(nk_block_handle handle) {
    auto* client = reinterpret_cast<BlockClient*>(handle);
    if (client->owner)
        client->owner->tracker.remove(client->tracked);
    release_block_client(client->tracked);
}

} // namespace nooks
