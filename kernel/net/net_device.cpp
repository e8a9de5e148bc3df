#include <arch/x86/interrupt_state.h>
#include <kernel/net/net_device.h>

#include <string.h>

namespace kernel::net {

namespace {
DeviceRegistry<NetDevice> g_devices;
} // namespace

NetDevice::NetDevice(const char* name, const nk::u8 (&mac)[MAC_LENGTH], nk::u32 mtu)
    : RegisteredDevice(name), m_mtu(mtu) {
    memcpy(m_mac, mac, MAC_LENGTH);
}

nk::ErrorOr NetDevice::open() {
    if (!is_registered())
        return nk::Error::NoDevice;
    if (m_up)
        return {};
    TRY(do_open());
    m_up = true;
    return {};
}

void NetDevice::stop() {
    if (!m_up)
        return;
    m_up = false;
    if (is_registered())
        do_stop();
}

nk::ErrorOr NetDevice::transmit(const nk::u8* frame, nk::usize length) {
    if (!is_registered())
        return nk::Error::NoDevice;
    if (length < MIN_FRAME || length > MAX_FRAME)
        return nk::Error::Invalid;
    auto sent = do_transmit(frame, length);
    if (sent.is_error()) {
        ++m_stats.tx_errors;
        return sent.error();
    }
    ++m_stats.tx_frames;
    m_stats.tx_bytes += length;
    return {};
}

nk::Result<nk::usize> NetDevice::do_transmit_batch(const OutFrame* frames, nk::usize count) {
    for (nk::usize i = 0; i < count; ++i) {
        if (auto sent = do_transmit(frames[i].data, frames[i].length); sent.is_error())
            return i ? nk::Result<nk::usize>(i) : sent.error();
    }
    return count;
}

nk::Result<nk::usize> NetDevice::transmit_batch(const OutFrame* frames, nk::usize count) {
    if (!is_registered())
        return nk::Error::NoDevice;
    if (count == 0 || count > MAX_BATCH)
        return nk::Error::Invalid;
    for (nk::usize i = 0; i < count; ++i) {
        if (frames[i].length < MIN_FRAME || frames[i].length > MAX_FRAME)
            return nk::Error::Invalid;
    }
    auto sent = do_transmit_batch(frames, count);
    nk::usize taken = sent.is_error() ? 0 : nk::min(sent.value(), count);
    for (nk::usize i = 0; i < taken; ++i) {
        ++m_stats.tx_frames;
        m_stats.tx_bytes += frames[i].length;
    }
    m_stats.tx_errors += count - taken;
    if (taken == 0)
        return sent.is_error() ? sent.error() : nk::Error::Busy;
    return taken;
}

void NetDevice::set_link_hook(LinkHook hook, void* context) {
    x86::InterruptGuard guard;
    m_link_hook = hook;
    m_link_context = context;
}

void NetDevice::set_link(bool up) {
    LinkHook hook;
    void* context;
    {
        x86::InterruptGuard guard;
        if (m_link_up == up)
            return;
        m_link_up = up;
        hook = m_link_hook;
        context = m_link_context;
    }
    if (hook)
        hook(*this, up, context);
}

void NetDevice::set_receive_hook(ReceiveHook hook, void* context) {
    x86::InterruptGuard guard;
    m_hook = hook;
    m_hook_context = context;
}

void NetDevice::deliver(const nk::u8* frame, nk::usize length) {
    ReceiveHook hook;
    void* context;
    {
        x86::InterruptGuard guard;
        hook = m_hook;
        context = m_hook_context;
    }
    if (!hook || !m_up || length < MIN_FRAME || length > MAX_FRAME) {
        ++m_stats.rx_dropped;
        return;
    }
    ++m_stats.rx_frames;
    m_stats.rx_bytes += length;
    hook(*this, frame, length, context);
}

nk::ErrorOr register_device(NetDevice& device) {
    if (device.mtu() < 68 || device.mtu() > 9000)
        return nk::Error::Invalid;
    return g_devices.add(device);
}

void unregister_device(NetDevice& device) {
    // Down first: a frame arriving meanwhile is dropped rather than delivered.
    device.m_up = false;
    g_devices.remove(device);
}

NetDevice* find(const char* name) {
    return g_devices.find(name);
}

void for_each_device(void (*visit)(NetDevice&, void*), void* context) {
    g_devices.for_each(visit, context);
}

nk::usize device_count() {
    return g_devices.count();
}

} // namespace kernel::net
