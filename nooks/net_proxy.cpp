// Network devices registered by extensions: a kernel::net::NetDevice whose operations cross into
// the driver. Frames to transmit are copied into a bounce buffer in an isolated driver's heap
// (kernel memory is read-only there, and the driver must not see more of it than the frame).
//
// The device outlives the driver's crashes (shadow-driver style, as the block proxy does): when
// an isolated driver crashes, recovery orphans "eth0" instead of unregistering it, so the
// network stack's interface — its address, ARP cache and TCP connections — stays. Frames sent
// meanwhile wait in a bounded queue (the oldest dropped past it; TCP resends what is lost). When
// the restarted driver registers a device of the same name and MAC, the device is bound to it;
// once its recovery is over the proxy re-applies what the kernel had asked of the old one (the
// link up) and sends the queued frames. A driver that does not come back ends the device.
#include <arch/x86/interrupt_state.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/net/interface.h>
#include <kernel/net/net_device.h>
#include <kernel/sync/mutex.h>
#include <kernel/time/clock.h>
#include <nooks/device_classes.h>
#include <nooks/extension_manager.h>
#include <nooks/rebinding.h>
#include <nooks/wrapper.h>
#include <nooks/xpc.h>

#include <stdio.h>
#include <string.h>

namespace nooks {

namespace {

class ExtensionNetDevice;

// The device's tie to one incarnation of its driver.
struct NetBinding {
    ClassRegistration registration; // first: the handle is &registration.tracked
    ExtensionNetDevice* device;
    nooks_net_ops ops;
    void* context;
    nooks_net_rx_area* rx_area; // in the driver's domain (nk_netif_rx_area), or null
};

// Frames sent while the driver is away, in order.
struct PendingFrame {
    nk::usize length;
    nk::u8 data[];
};
constexpr unsigned PENDING_MAX = 128;

class ExtensionNetDevice final : public kernel::net::NetDevice {
public:
    ExtensionNetDevice(const nooks_net_device_info& info, Extension* owner)
        : NetDevice(info.name, info.mac, info.mtu), owner(owner) {}

    Extension* owner; // the extension that registered it (rebinds go to the same one)
    Rebinding<NetBinding> bound;
    nk::IntrusiveListNode orphan_node;
    nk::IntrusiveListNode proxied_node; // g_proxied, for as long as the object lives
    bool reapply = false;      // bound again in a recovery: set up the new driver when it is over
    bool status_shown = false; // format_net_recovery's mark while it walks the devices

    // The service gap of the last crash: the last frame (either way) before it, the first after.
    nk::u64 last_frame_ns = 0;
    nk::u64 gap_from_ns = 0;
    bool gap_open = false;
    nk::u64 gap_ns = 0;
    nk::u64 frames_queued = 0;  // sent while orphaned and held
    nk::u64 frames_dropped = 0; // held frames dropped (queue full, or the driver did not return)
    nk::u64 frames_replayed = 0;

    void frame_moved() {
        nk::u64 now = kernel::clock::nanoseconds_since_boot();
        if (gap_open) {
            gap_ns = now - gap_from_ns;
            gap_open = false;
        }
        last_frame_ns = now;
    }

    void orphaned() {
        gap_from_ns = last_frame_ns ? last_frame_ns : kernel::clock::nanoseconds_since_boot();
        gap_open = true;
    }

    // The new incarnation is bound and out of its recovery: the link as the kernel left it, then
    // what waited.
    void resume() {
        kernel::MutexLocker locker(m_transmit_lock);
        NetBinding* binding = enter_current();
        if (!binding)
            return;
        if (is_up())
            (void)status_of(binding->registration.call(
                reinterpret_cast<const void*>(binding->ops.open), long(binding->context)));
        while (PendingFrame* frame = take_pending()) {
            if (send(*binding, frame->data, frame->length).has_value()) {
                ++frames_replayed;
                frame_moved();
            } else {
                ++frames_dropped;
            }
            kfree(frame);
        }
        binding->registration.leave();
    }

    // The driver is gone for good: what waited is dropped.
    void drop_pending() {
        while (PendingFrame* frame = take_pending()) {
            ++frames_dropped;
            kfree(frame);
        }
    }

protected:
    nk::ErrorOr do_open() override {
        kernel::MutexLocker locker(m_transmit_lock); // one call at a time (net.h)
        NetBinding* binding = enter_current();
        if (!binding)
            return bound.orphaned ? nk::ErrorOr() : nk::Error::NoDevice; // set up on its return
        auto opened = status_of(binding->registration.call(
            reinterpret_cast<const void*>(binding->ops.open), long(binding->context)));
        binding->registration.leave();
        return opened;
    }

    void do_stop() override {
        kernel::MutexLocker locker(m_transmit_lock);
        NetBinding* binding = enter_current();
        if (!binding)
            return;
        if (binding->ops.stop)
            (void)binding->registration.call(reinterpret_cast<const void*>(binding->ops.stop),
                                             long(binding->context));
        binding->registration.leave();
    }

    nk::ErrorOr do_transmit(const nk::u8* frame, nk::usize length) override {
        kernel::MutexLocker locker(m_transmit_lock);
        NetBinding* binding = enter_current();
        if (!binding) {
            if (!bound.orphaned || bound.dead)
                return nk::Error::NoDevice;
            hold(frame, length);
            return {};
        }
        nk::ErrorOr sent = send(*binding, frame, length);
        binding->registration.leave();
        if (sent.has_value())
            frame_moved();
        return sent;
    }

    // A batch in one crossing when the driver has transmit_batch. The frames stay where they
    // are: kernel memory is readable in every domain, and a driver only reads what it sends
    // (into its own DMA buffers). Only the list goes into its heap.
    nk::Result<nk::usize> do_transmit_batch(const kernel::net::OutFrame* frames,
                                            nk::usize count) override {
        kernel::MutexLocker locker(m_transmit_lock);
        NetBinding* binding = enter_current();
        if (!binding) {
            if (!bound.orphaned || bound.dead)
                return nk::Error::NoDevice;
            for (nk::usize i = 0; i < count; ++i)
                hold(frames[i].data, frames[i].length);
            return count;
        }
        auto sent = send_batch(*binding, frames, count);
        binding->registration.leave();
        if (sent.has_value())
            frame_moved();
        return sent;
    }

    void destroy() override;

private:
    nk::Result<nk::usize> send_batch(NetBinding& binding, const kernel::net::OutFrame* frames,
                                     nk::usize count) {
        if (!binding.ops.transmit_batch) {
            for (nk::usize i = 0; i < count; ++i) {
                if (auto sent = send(binding, frames[i].data, frames[i].length); sent.is_error())
                    return i ? nk::Result<nk::usize>(i) : sent.error();
            }
            return count;
        }
        ClassRegistration& registration = binding.registration;
        auto function = reinterpret_cast<const void*>(binding.ops.transmit_batch);
        nooks_net_frame list[NOOKS_NET_BATCH_MAX];
        count = nk::min<nk::usize>(count, NOOKS_NET_BATCH_MAX);
        nk::Result<long> called = nk::Error::NoMemory;
        if (!registration.isolated()) {
            for (nk::usize i = 0; i < count; ++i)
                list[i] = {frames[i].data, nk::u32(frames[i].length), 0};
            called = registration.call(function, long(binding.context), long(list), long(count));
        } else {
            BounceBuffer bounce(*registration.extension, count * sizeof(nooks_net_frame));
            if (!bounce.ok())
                return nk::Error::NoMemory;
            auto* shared = bounce.as<nooks_net_frame>();
            for (nk::usize i = 0; i < count; ++i)
                shared[i] = {frames[i].data, nk::u32(frames[i].length), 0};
            called = bounce.after(
                registration.call(function, long(binding.context), long(shared), long(count)));
        }
        if (called.is_error())
            return called.error();
        if (called.value() < 0)
            return nk::Error(int(-called.value()));
        // The driver says how many it took: no more than it was given.
        return nk::min<nk::usize>(nk::usize(called.value()), count);
    }

    // Open, stop, transmits and the replay after a restart: one at a time, in order.
    kernel::Mutex m_transmit_lock;
    PendingFrame* m_pending[PENDING_MAX] = {};
    unsigned m_pending_first = 0;
    unsigned m_pending_count = 0;

    // The current binding, entered (leave() it); nullptr while orphaned or once gone. Never
    // waits: the network stack's thread must not stall on a driver's recovery.
    NetBinding* enter_current() {
        x86::InterruptGuard guard;
        NetBinding* binding = bound.binding;
        if (bound.orphaned || bound.dead || !binding || !binding->registration.enter())
            return nullptr;
        return binding;
    }

    nk::ErrorOr send(NetBinding& binding, const nk::u8* frame, nk::usize length) {
        ClassRegistration& registration = binding.registration;
        auto transmit = reinterpret_cast<const void*>(binding.ops.transmit);
        if (!registration.isolated())
            return status_of(
                registration.call(transmit, long(binding.context), long(frame), long(length)));
        BounceBuffer bounce(*registration.extension, length);
        if (!bounce.ok())
            return nk::Error::NoMemory;
        memcpy(bounce.as<nk::u8>(), frame, length);
        return status_of(bounce.after(registration.call(transmit, long(binding.context),
                                                        long(bounce.as<nk::u8>()), long(length))));
    }

    void hold(const nk::u8* frame, nk::usize length) {
        auto* copy = static_cast<PendingFrame*>(kmalloc(sizeof(PendingFrame) + length));
        if (!copy) {
            ++frames_dropped;
            return;
        }
        copy->length = length;
        memcpy(copy->data, frame, length);
        x86::InterruptGuard guard;
        if (m_pending_count == PENDING_MAX) {
            // The oldest goes: TCP resends it, and newer frames matter more after a gap.
            kfree(m_pending[m_pending_first]);
            m_pending_first = (m_pending_first + 1) % PENDING_MAX;
            --m_pending_count;
            ++frames_dropped;
        }
        m_pending[(m_pending_first + m_pending_count++) % PENDING_MAX] = copy;
        ++frames_queued;
    }

    PendingFrame* take_pending() {
        x86::InterruptGuard guard;
        if (m_pending_count == 0)
            return nullptr;
        PendingFrame* frame = m_pending[m_pending_first];
        m_pending_first = (m_pending_first + 1) % PENDING_MAX;
        --m_pending_count;
        return frame;
    }
};

OrphanList<ExtensionNetDevice, &ExtensionNetDevice::orphan_node> g_orphans;
nk::IntrusiveList<ExtensionNetDevice, &ExtensionNetDevice::proxied_node> g_proxied;

void ExtensionNetDevice::destroy() {
    drop_pending();
    {
        x86::InterruptGuard guard;
        g_proxied.remove(*this);
    }
    this->~ExtensionNetDevice();
    kfree(this);
}

// The tracked object goes (unregister, unload, or recovery releasing what the old incarnation
// held). In a recovery the device is orphaned rather than unregistered.
void release_net_device(TrackedObject& tracked) {
    auto* binding = reinterpret_cast<NetBinding*>(&tracked);
    ExtensionNetDevice* device = binding->device;
    Extension* extension = binding->registration.extension;
    if (extension && extension->mode == ExtensionMode::Isolated &&
        extension->state == ExtensionState::Recovering && device->is_registered() &&
        device->bound.orphan(*binding)) {
        device->orphaned();
        g_orphans.add(*device);
    }
    binding->registration.retire();
}

// The binding's last call is over. If the device is still bound to it (not orphaned, not
// rebound), the device goes with it.
void destroy_net_binding(ClassRegistration& registration) {
    auto* binding = reinterpret_cast<NetBinding*>(&registration);
    ExtensionNetDevice* device = binding->device;
    if (device->bound.release(*binding)) {
        device->drop_pending();
        kernel::net::unregister_device(*device);
    }
    kfree(binding);
}

void end_orphan(ExtensionNetDevice& device, const char* why) {
    device.bound.end();
    device.drop_pending();
    kprintf("nooks: network device %s: %s; unregistered\n", device.name(), why);
    kernel::net::unregister_device(device);
}

} // namespace

nk_status register_net_device(Extension* extension, const nooks_net_device_info& info,
                              const nooks_net_ops& ops, void* context, nk_netdev_handle* out) {
    if (!memchr(info.name, 0, sizeof info.name) || !ops.open || !ops.transmit ||
        !op_ok(extension, reinterpret_cast<const void*>(ops.open)) ||
        !op_ok(extension, reinterpret_cast<const void*>(ops.transmit)) ||
        (ops.stop && !op_ok(extension, reinterpret_cast<const void*>(ops.stop))) ||
        (ops.status && !op_ok(extension, reinterpret_cast<const void*>(ops.status))) ||
        (ops.transmit_batch &&
         !op_ok(extension, reinterpret_cast<const void*>(ops.transmit_batch))))
        return -NK_EINVAL;
    auto* binding = static_cast<NetBinding*>(kzalloc(sizeof(NetBinding)));
    if (!binding)
        return -NK_ENOMEM;
    binding->registration.init(ObjectKind::NetDevice, release_net_device, destroy_net_binding,
                               extension);
    binding->ops = ops;
    binding->context = context;
    // The restarted driver of an orphaned device: the same device again, if it is the same card.
    if (ExtensionNetDevice* orphan =
            extension ? g_orphans.adopt(extension, info.name, sizeof info.name) : nullptr) {
        if (memcmp(orphan->mac(), info.mac, sizeof info.mac) == 0 && orphan->mtu() == info.mtu) {
            binding->device = orphan;
            orphan->reapply = true;
            extension->tracker.add(binding->registration.tracked);
            orphan->bound.bind(*binding);
            *out = reinterpret_cast<nk_netdev_handle>(&binding->registration.tracked);
            return 0;
        }
        end_orphan(*orphan, "the restarted driver reports another MAC address or MTU");
    }
    void* memory = kmalloc(sizeof(ExtensionNetDevice));
    if (!memory) {
        kfree(binding);
        return -NK_ENOMEM;
    }
    auto* device = new (memory) ExtensionNetDevice(info, extension);
    {
        x86::InterruptGuard guard;
        g_proxied.push_back(*device);
    }
    binding->device = device;
    device->bound.binding = binding;
    if (auto registered = kernel::net::register_device(*device); registered.is_error()) {
        device->bound.binding = nullptr;
        device->unref();
        kfree(binding);
        return -long(registered.error());
    }
    if (extension)
        extension->tracker.add(binding->registration.tracked);
    *out = reinterpret_cast<nk_netdev_handle>(&binding->registration.tracked);
    return 0;
}

void unregister_net_device(nk_netdev_handle handle) {
    auto& registration = reinterpret_cast<NetBinding*>(handle)->registration;
    if (registration.extension)
        registration.extension->tracker.remove(registration.tracked);
    registration.retire();
}

nk_status net_set_rx_area(nk_netdev_handle handle, nooks_net_rx_area* area) {
    auto* binding = reinterpret_cast<NetBinding*>(handle);
    if (!binding->registration.isolated())
        return -NK_ENOSYS;
    area->count = 0;
    binding->rx_area = area;
    return 0;
}

void net_take_rx_areas(Extension& extension) {
    x86::InterruptGuard guard;
    for (auto& device : g_proxied) {
        NetBinding* binding = device.bound.binding;
        if (device.owner != &extension || device.bound.orphaned || !binding || !binding->rx_area)
            continue;
        nooks_net_rx_area* area = binding->rx_area;
        // The area is the extension's memory: checked again each time (it could have unmapped
        // it), the list copied out before it is believed.
        if (!domain_range_ok(extension, reinterpret_cast<nk::u64>(area), sizeof *area, true))
            continue;
        nk::u32 count = nk::min<nk::u32>(nk::u32(area->count), NOOKS_NET_BATCH_MAX);
        if (count == 0)
            continue;
        nooks_net_frame frames[NOOKS_NET_BATCH_MAX];
        memcpy(frames, area->frames, count * sizeof(nooks_net_frame));
        for (nk::u32 i = 0; i < count; ++i) {
            if (frames[i].length <= kernel::net::MAX_FRAME &&
                domain_range_ok(extension, reinterpret_cast<nk::u64>(frames[i].data),
                                frames[i].length, false)) {
                device.frame_moved();
                device.deliver(static_cast<const nk::u8*>(frames[i].data), frames[i].length);
            } else {
                device.count_receive_error();
            }
        }
        area->count = 0;
    }
}

void net_link(nk_netdev_handle handle, bool up) {
    reinterpret_cast<NetBinding*>(handle)->device->set_link(up);
}

void net_receive_error(nk_netdev_handle handle) {
    reinterpret_cast<NetBinding*>(handle)->device->count_receive_error();
}

void net_receive(nk_netdev_handle handle, const void* frame, size_t length) {
    ExtensionNetDevice* device = reinterpret_cast<NetBinding*>(handle)->device;
    device->frame_moved();
    device->deliver(static_cast<const nk::u8*>(frame), length);
}

void finish_net_recovery(Extension& extension) {
    // Devices the restarted driver took over: set up as before, then what waited goes out.
    for (;;) {
        ExtensionNetDevice* rebound = nullptr;
        {
            x86::InterruptGuard guard;
            for (auto& device : g_proxied) {
                if (device.owner == &extension && device.reapply) {
                    device.reapply = false;
                    device.ref();
                    rebound = &device;
                    break;
                }
            }
        }
        if (!rebound)
            break;
        rebound->resume();
        // What TCP lost in the gap, asked for now rather than at its next timeout.
        kernel::net::resume_connections(*rebound);
        rebound->unref();
    }
    // Orphans nobody took: gone for good.
    while (ExtensionNetDevice* orphan = g_orphans.take(&extension))
        end_orphan(*orphan, extension.state == ExtensionState::Running
                                ? "not registered again by the restarted driver"
                                : "its driver did not come back");
}

namespace {

// The driver's own status text (nooks_net_ops.status) for the device, through a crossing;
// what it wrote within the buffer up to the first NUL, ending in a newline.
nk::usize driver_status(ExtensionNetDevice& device, char* buffer, nk::usize size) {
    NetBinding* binding;
    {
        x86::InterruptGuard guard;
        binding = device.bound.binding;
        if (device.bound.orphaned || !binding || !binding->ops.status ||
            !binding->registration.enter())
            return 0;
    }
    constexpr nk::usize TEXT = 2048;
    ClassRegistration& registration = binding->registration;
    auto function = reinterpret_cast<const void*>(binding->ops.status);
    // Copies out what the op wrote: up to the first NUL, within the buffer.
    auto take = [&](const char* text, const nk::Result<long>& done) {
        if (!done.has_value() || done.value() != 0)
            return nk::usize(0);
        nk::usize length = nk::min(strnlen(text, TEXT - 1), size);
        memcpy(buffer, text, length);
        return length;
    };
    nk::usize length = 0;
    if (!registration.isolated()) {
        static char text[TEXT];
        text[0] = 0;
        length =
            take(text, registration.call(function, long(binding->context), long(text), long(TEXT)));
    } else if (BounceBuffer bounce(*registration.extension, TEXT); bounce.ok()) {
        char* text = bounce.as<char>();
        text[0] = 0;
        length = take(text, bounce.after(registration.call(function, long(binding->context),
                                                           long(text), long(TEXT))));
    }
    registration.leave();
    if (length && length < size && buffer[length - 1] != '\n')
        buffer[length++] = '\n';
    return length;
}

} // namespace

nk::usize format_net_recovery(const Extension& extension, char* buffer, nk::usize size) {
    nk::usize used = 0;
    // The drivers' own figures first (each device's, through its status op), outside any lock.
    for (;;) {
        ExtensionNetDevice* next = nullptr;
        {
            x86::InterruptGuard guard;
            for (auto& device : g_proxied) {
                if (device.owner == &extension && !device.status_shown) {
                    device.status_shown = true;
                    device.ref();
                    next = &device;
                    break;
                }
            }
        }
        if (!next)
            break;
        if (used < size)
            used += driver_status(*next, buffer + used, size - used);
        next->unref();
    }
    x86::InterruptGuard guard;
    for (auto& device : g_proxied) {
        device.status_shown = false;
        if (device.owner != &extension || used >= size)
            continue;
        int wrote = snprintf(
            buffer + used, size - used,
            "  device %s: last service gap %llu ms (last frame before the crash to the first "
            "after); %llu frames held while away, %llu sent after, %llu dropped%s\n",
            device.name(), (unsigned long long)(device.gap_ns / 1000000),
            (unsigned long long)device.frames_queued, (unsigned long long)device.frames_replayed,
            (unsigned long long)device.frames_dropped,
            device.bound.orphaned ? " (waiting for its driver)" : "");
        if (wrote > 0)
            used = nk::min(size, used + nk::usize(wrote));
    }
    return used;
}

} // namespace nooks
