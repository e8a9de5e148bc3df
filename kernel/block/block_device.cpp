#include <kernel/block/block_device.h>

namespace kernel::block {

namespace {
DeviceRegistry<BlockDevice> g_devices;
} // namespace

BlockDevice::BlockDevice(const char* name, nk::u32 sector_size, nk::u64 sector_count)
    : RegisteredDevice(name), m_sector_size(sector_size), m_sector_count(sector_count) {}

nk::ErrorOr BlockDevice::check_range(nk::u64 sector, nk::u32 count) const {
    if (!is_registered())
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
    if (!is_registered())
        return nk::Error::NoDevice;
    return do_flush();
}

nk::ErrorOr register_device(BlockDevice& device) {
    nk::u32 size = device.sector_size();
    if (size < 512 || size > 4096 || (size & (size - 1)))
        return nk::Error::Invalid;
    return g_devices.add(device);
}

void unregister_device(BlockDevice& device) {
    g_devices.remove(device);
}

BlockDevice* find(const char* name) {
    return g_devices.find(name);
}

void for_each_device(void (*visit)(BlockDevice&, void*), void* context) {
    g_devices.for_each(visit, context);
}

nk::usize device_count() {
    return g_devices.count();
}

} // namespace kernel::block
