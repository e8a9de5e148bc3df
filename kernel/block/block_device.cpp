#include <arch/x86/interrupt_state.h>
#include <kernel/block/block_device.h>

#include <string.h>

namespace kernel::block {

namespace {

nk::IntrusiveList<BlockDevice, &BlockDevice::node> g_devices;

BlockDevice* find_locked(const char* name) {
    for (auto& device : g_devices) {
        if (strcmp(device.name(), name) == 0)
            return &device;
    }
    return nullptr;
}

} // namespace

BlockDevice::BlockDevice(const char* name, nk::u32 sector_size, nk::u64 sector_count)
    : m_sector_size(sector_size), m_sector_count(sector_count) {
    strncpy(m_name, name, sizeof m_name - 1);
}

nk::ErrorOr BlockDevice::check_range(nk::u64 sector, nk::u32 count) const {
    if (!m_registered)
        return nk::Error::NoDevice;
    if (count == 0 || sector >= m_sector_count || count > m_sector_count - sector)
        return nk::Error::Invalid;
    return {};
}

nk::ErrorOr BlockDevice::read(nk::u64 sector, nk::u32 count, void* buffer) {
    TRY(check_range(sector, count));
    TRY(do_read(sector, count, buffer));
    m_sectors_read += count;
    return {};
}

nk::ErrorOr BlockDevice::write(nk::u64 sector, nk::u32 count, const void* buffer) {
    TRY(check_range(sector, count));
    TRY(do_write(sector, count, buffer));
    m_sectors_written += count;
    return {};
}

nk::ErrorOr BlockDevice::flush() {
    if (!m_registered)
        return nk::Error::NoDevice;
    return do_flush();
}

void BlockDevice::ref() {
    __atomic_add_fetch(&m_references, 1, __ATOMIC_SEQ_CST);
}

void BlockDevice::unref() {
    if (__atomic_sub_fetch(&m_references, 1, __ATOMIC_SEQ_CST) == 0)
        destroy();
}

nk::ErrorOr register_device(BlockDevice& device) {
    nk::usize length = strnlen(device.m_name, MAX_NAME);
    nk::u32 size = device.m_sector_size;
    if (length == 0 || length >= MAX_NAME - 1 || size < 512 || size > 4096 || (size & (size - 1)))
        return nk::Error::Invalid;
    x86::InterruptGuard guard;
    if (find_locked(device.m_name))
        return nk::Error::Exists;
    device.m_registered = true;
    g_devices.push_back(device);
    return {};
}

void unregister_device(BlockDevice& device) {
    {
        x86::InterruptGuard guard;
        if (!device.m_registered)
            return;
        device.m_registered = false;
        g_devices.remove(device);
    }
    device.unref();
}

BlockDevice* find(const char* name) {
    x86::InterruptGuard guard;
    BlockDevice* device = find_locked(name);
    if (device)
        device->ref();
    return device;
}

void for_each_device(void (*visit)(BlockDevice&, void*), void* context) {
    x86::InterruptGuard guard;
    for (auto& device : g_devices)
        visit(device, context);
}

nk::usize device_count() {
    x86::InterruptGuard guard;
    return g_devices.size();
}

} // namespace kernel::block
