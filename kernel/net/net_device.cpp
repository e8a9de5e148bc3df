#include <arch/x86/interrupt_state.h>
#include <kernel/net/net_device.h>

#include <string.h>

namespace kernel::net {

namespace {

nk::IntrusiveList<NetDevice, &NetDevice::node> g_devices;

NetDevice* find_locked(const char* name) {
    for (auto& device : g_devices) {
        if (strcmp(device.name(), name) == 0)
            return &device;
    }
    return nullptr;
}

} // namespace

NetDevice::NetDevice(const char* name, const nk::u8 (&mac)[MAC_LENGTH], nk::u32 mtu) : m_mtu(mtu) {
    strncpy(m_name, name, sizeof m_name - 1);
    memcpy(m_mac, mac, MAC_LENGTH);
}

nk::ErrorOr NetDevice::open() {
    if (!m_registered)
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
    if (m_registered)
        do_stop();
}

nk::ErrorOr NetDevice::transmit(const nk::u8* frame, nk::usize length) {
    if (!m_registered)
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

void NetDevice::ref() {
    __atomic_add_fetch(&m_references, 1, __ATOMIC_SEQ_CST);
}

void NetDevice::unref() {
    if (__atomic_sub_fetch(&m_references, 1, __ATOMIC_SEQ_CST) == 0)
        destroy();
}

nk::ErrorOr register_device(NetDevice& device) {
    nk::usize length = strnlen(device.m_name, MAX_NAME);
    if (length == 0 || length >= MAX_NAME - 1 || device.m_mtu < 68 || device.m_mtu > 9000)
        return nk::Error::Invalid;
    x86::InterruptGuard guard;
    if (find_locked(device.m_name))
        return nk::Error::Exists;
    device.m_registered = true;
    g_devices.push_back(device);
    return {};
}

void unregister_device(NetDevice& device) {
    {
        x86::InterruptGuard guard;
        if (!device.m_registered)
            return;
        device.m_registered = false;
        device.m_up = false;
        g_devices.remove(device);
    }
    device.unref();
}

NetDevice* find(const char* name) {
    x86::InterruptGuard guard;
    NetDevice* device = find_locked(name);
    if (device)
        device->ref();
    return device;
}

void for_each_device(void (*visit)(NetDevice&, void*), void* context) {
    x86::InterruptGuard guard;
    for (auto& device : g_devices)
        visit(device, context);
}

nk::usize device_count() {
    x86::InterruptGuard guard;
    return g_devices.size();
}

} // namespace kernel::net
