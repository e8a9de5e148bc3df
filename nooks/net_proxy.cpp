// Network devices registered by extensions: a kernel::net::NetDevice whose operations cross into
// the driver. Frames to transmit are copied into a bounce buffer in an isolated driver's heap
// (kernel memory is read-only there, and the driver must not see more of it than the frame).
#include <kernel/memory/kmalloc.h>
#include <kernel/net/net_device.h>
#include <nooks/device_classes.h>
#include <nooks/extension_manager.h>
#include <nooks/xpc.h>

#include <string.h>

namespace nooks {

namespace {

class ExtensionNetDevice;

struct NetRecord {
    ClassRegistration registration; // first: the handle is &registration.tracked
    ExtensionNetDevice* device;
    nooks_net_ops ops;
    void* context;
};

class ExtensionNetDevice final : public kernel::net::NetDevice {
public:
    explicit ExtensionNetDevice(const nooks_net_device_info& info)
        : NetDevice(info.name, info.mac, info.mtu) {}

    NetRecord record = {};

protected:
    nk::ErrorOr do_open() override {
        return status(record.registration.call(reinterpret_cast<const void*>(record.ops.open),
                                               long(record.context)));
    }

    void do_stop() override {
        if (record.ops.stop)
            (void)record.registration.call(reinterpret_cast<const void*>(record.ops.stop),
                                           long(record.context));
    }

    nk::ErrorOr do_transmit(const nk::u8* frame, nk::usize length) override {
        ClassRegistration& registration = record.registration;
        auto transmit = reinterpret_cast<const void*>(record.ops.transmit);
        if (!registration.isolated())
            return status(
                registration.call(transmit, long(record.context), long(frame), long(length)));
        if (!registration.enter())
            return nk::Error::NoDevice;
        nk::ErrorOr sent = nk::Error::NoMemory;
        {
            BounceBuffer bounce(*registration.extension, length);
            if (bounce.ok()) {
                memcpy(bounce.as<nk::u8>(), frame, length);
                sent = status(bounce.after(registration.call(
                    transmit, long(record.context), long(bounce.as<nk::u8>()), long(length))));
            }
        }
        registration.leave();
        return sent;
    }

    void destroy() override {
        this->~ExtensionNetDevice();
        kfree(this);
    }

private:
    static nk::ErrorOr status(nk::Result<long> result) {
        if (result.is_error())
            return result.error();
        if (result.value() < 0)
            return nk::Error(int(-result.value()));
        return {};
    }
};

void release_net_device(TrackedObject& tracked) {
    reinterpret_cast<NetRecord*>(&tracked)->registration.retire();
}

void destroy_net_record(ClassRegistration& registration) {
    // The device leaves the registry; the object goes when its last user lets go.
    kernel::net::unregister_device(*reinterpret_cast<NetRecord*>(&registration)->device);
}

} // namespace

nk_status register_net_device(Extension* extension, const nooks_net_device_info& info,
                              const nooks_net_ops& ops, void* context, nk_netdev_handle* out) {
    if (!memchr(info.name, 0, sizeof info.name) || !ops.open || !ops.transmit ||
        !op_ok(extension, reinterpret_cast<const void*>(ops.open)) ||
        !op_ok(extension, reinterpret_cast<const void*>(ops.transmit)) ||
        (ops.stop && !op_ok(extension, reinterpret_cast<const void*>(ops.stop))))
        return -NK_EINVAL;
    void* memory = kmalloc(sizeof(ExtensionNetDevice));
    if (!memory)
        return -NK_ENOMEM;
    auto* device = new (memory) ExtensionNetDevice(info);
    NetRecord& record = device->record;
    record.registration.init(ObjectKind::NetDevice, release_net_device, destroy_net_record,
                             extension);
    record.device = device;
    record.ops = ops;
    record.context = context;
    if (auto registered = kernel::net::register_device(*device); registered.is_error()) {
        device->unref();
        return -long(registered.error());
    }
    if (extension)
        extension->tracker.add(record.registration.tracked);
    *out = reinterpret_cast<nk_netdev_handle>(&record.registration.tracked);
    return 0;
}

void unregister_net_device(nk_netdev_handle handle) {
    auto& registration = reinterpret_cast<NetRecord*>(handle)->registration;
    if (registration.extension)
        registration.extension->tracker.remove(registration.tracked);
    registration.retire();
}

void net_receive(nk_netdev_handle handle, const void* frame, size_t length) {
    auto* record = reinterpret_cast<NetRecord*>(handle);
    record->device->deliver(static_cast<const nk::u8*>(frame), length);
}

} // namespace nooks
