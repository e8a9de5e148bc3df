// Block devices registered by extensions: a kernel::block::BlockDevice whose transfers cross
// into the driver. An isolated driver gets the request and the data in a bounce buffer in its
// own heap, at most BOUNCE_BYTES per crossing; natively it works on the caller's buffer. Also
// the client side: a file-system extension opening a registered device by name.
#include <kernel/block/block_device.h>
#include <kernel/memory/kmalloc.h>
#include <nooks/device_classes.h>
#include <nooks/extension_manager.h>
#include <nooks/xpc.h>

#include <string.h>

namespace nooks {

namespace {

constexpr nk::u64 BOUNCE_BYTES = 64 * 1024;

class ExtensionBlockDevice;

struct BlockRecord {
    ClassRegistration registration; // first: the handle is &registration.tracked
    ExtensionBlockDevice* device;
    nooks_block_ops ops;
    void* context;
};

nk::ErrorOr status_of(nk::Result<long> result) {
    if (result.is_error())
        return result.error();
    if (result.value() < 0)
        return nk::Error(int(-result.value()));
    return {};
}

class ExtensionBlockDevice final : public kernel::block::BlockDevice {
public:
    explicit ExtensionBlockDevice(const nooks_block_device_info& info)
        : BlockDevice(info.name, info.sector_size, info.sector_count) {}

    BlockRecord record = {};

protected:
    nk::ErrorOr do_read(nk::u64 sector, nk::u32 count, void* buffer) override {
        return transfer(NOOKS_BLOCK_READ, sector, count, static_cast<nk::u8*>(buffer));
    }
    nk::ErrorOr do_write(nk::u64 sector, nk::u32 count, const void* buffer) override {
        return transfer(NOOKS_BLOCK_WRITE, sector, count,
                        const_cast<nk::u8*>(static_cast<const nk::u8*>(buffer)));
    }
    nk::ErrorOr do_flush() override { return transfer(NOOKS_BLOCK_FLUSH, 0, 0, nullptr); }

    void destroy() override {
        this->~ExtensionBlockDevice();
        kfree(this);
    }

private:
    nk::ErrorOr transfer(nk::u32 operation, nk::u64 sector, nk::u32 count, nk::u8* data) {
        ClassRegistration& registration = record.registration;
        auto function = reinterpret_cast<const void*>(record.ops.transfer);
        if (!registration.isolated()) {
            nooks_block_request request = {sector, count, operation, data};
            return status_of(registration.call(function, long(record.context), long(&request)));
        }
        if (!registration.enter())
            return nk::Error::NoDevice;
        nk::u64 per_crossing = nk::max<nk::u64>(1, BOUNCE_BYTES / sector_size());
        nk::u64 bounce_bytes = nk::min<nk::u64>(count, per_crossing) * sector_size();
        nk::ErrorOr result = nk::Error::NoMemory;
        {
            BounceBuffer bounce(*registration.extension,
                                sizeof(nooks_block_request) + bounce_bytes);
            auto* request = bounce.as<nooks_block_request>();
            auto* window = reinterpret_cast<nk::u8*>(request + 1);
            nk::u32 done = 0;
            while (bounce.ok()) {
                nk::u32 chunk = nk::u32(nk::min<nk::u64>(count - done, per_crossing));
                nk::u64 bytes = nk::u64(chunk) * sector_size();
                *request = {sector + done, chunk, operation, chunk ? window : nullptr};
                if (operation == NOOKS_BLOCK_WRITE)
                    memcpy(window, data + nk::u64(done) * sector_size(), bytes);
                result = status_of(
                    bounce.after(registration.call(function, long(record.context), long(request))));
                if (result.is_error())
                    break;
                if (operation == NOOKS_BLOCK_READ)
                    memcpy(data + nk::u64(done) * sector_size(), window, bytes);
                done += chunk;
                if (done >= count)
                    break;
            }
        }
        registration.leave();
        return result;
    }
};

void release_block_device(TrackedObject& tracked) {
    reinterpret_cast<BlockRecord*>(&tracked)->registration.retire();
}

void destroy_block_record(ClassRegistration& registration) {
    kernel::block::unregister_device(*reinterpret_cast<BlockRecord*>(&registration)->device);
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

} // namespace

nk_status register_block_device(Extension* extension, const nooks_block_device_info& info,
                                const nooks_block_ops& ops, void* context, nk_blkdev_handle* out) {
    if (!memchr(info.name, 0, sizeof info.name) || !ops.transfer ||
        !op_ok(extension, reinterpret_cast<const void*>(ops.transfer)) || info.sector_count == 0)
        return -NK_EINVAL;
    void* memory = kmalloc(sizeof(ExtensionBlockDevice));
    if (!memory)
        return -NK_ENOMEM;
    auto* device = new (memory) ExtensionBlockDevice(info);
    BlockRecord& record = device->record;
    record.registration.init(ObjectKind::BlockDevice, release_block_device, destroy_block_record,
                             extension);
    record.device = device;
    record.ops = ops;
    record.context = context;
    if (auto registered = kernel::block::register_device(*device); registered.is_error()) {
        device->unref();
        return -long(registered.error());
    }
    if (extension)
        extension->tracker.add(record.registration.tracked);
    *out = reinterpret_cast<nk_blkdev_handle>(&record.registration.tracked);
    return 0;
}

void unregister_block_device(nk_blkdev_handle handle) {
    auto& registration = reinterpret_cast<BlockRecord*>(handle)->registration;
    if (registration.extension)
        registration.extension->tracker.remove(registration.tracked);
    registration.retire();
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
