// The block layer's view of a disk: fixed-size sectors read and written by number. Drivers (the
// IDE extension, a RAM disk) register one BlockDevice per disk under a name ("hda", "ram0");
// file systems find it by that name.
//
// Lifetime (kernel/device/device_registry.h): reference counted. The registry holds one
// reference; find() hands the caller another. A driver that goes away (unloaded, or crashed and
// being recovered) unregisters its device: it disappears from the registry at once, its
// operations fail with Error::NoDevice from then on, and the object is freed when the last user
// drops its reference.
#pragma once

#include <kernel/device/device_registry.h>
#include <nk/result.h>
#include <nk/types.h>

namespace kernel::block {

constexpr nk::usize MAX_NAME = RegisteredDevice::MAX_NAME;

class BlockDevice : public RegisteredDevice {
public:
    nk::u32 sector_size() const { return m_sector_size; }
    nk::u64 sector_count() const { return m_sector_count; }

    // Through the buffer cache (buffer_cache.h): a read is served from it, a write lands in it
    // and reaches the device later (flush(), the flusher thread, eviction). While the running
    // thread has a WriteTransaction open, writes are held there and reads see them.
    // Error::Invalid for a range past the end or a zero count, Error::NoDevice once the driver
    // is gone, Error::IO (or the driver's error) when the transfer failed.
    nk::ErrorOr read(nk::u64 sector, nk::u32 count, void* buffer);
    nk::ErrorOr write(nk::u64 sector, nk::u32 count, const void* buffer);
    // Bytes [byte, byte + length) of the device, through the cache like read() and write(); a
    // partial sector at either end is read, patched and written whole. Inside a transaction the
    // whole sectors of a write are staged without a copy (WriteTransaction::stage_shared):
    // `buffer` must then stay unchanged until the transaction ends.
    nk::ErrorOr read_bytes(nk::u64 byte, nk::u64 length, nk::u8* buffer);
    nk::ErrorOr write_bytes(nk::u64 byte, nk::u64 length, const nk::u8* buffer);
    // Writes this device's dirty pages back, then flushes the device's own write cache.
    nk::ErrorOr flush();

    // Straight to the driver, bypassing the cache (the cache's own I/O, benchmarks).
    nk::ErrorOr read_direct(nk::u64 sector, nk::u32 count, void* buffer);
    nk::ErrorOr write_direct(nk::u64 sector, nk::u32 count, const void* buffer);
    nk::ErrorOr flush_direct();

    // Statistics for `lsblk`, `ext stats` and the benchmarks: what reached the driver.
    nk::u64 sectors_read() const { return m_sectors_read; }
    nk::u64 sectors_written() const { return m_sectors_written; }
    nk::u64 read_requests() const { return m_read_requests; }
    nk::u64 write_requests() const { return m_write_requests; }
    nk::u64 errors() const { return m_errors; }

protected:
    BlockDevice(const char* name, nk::u32 sector_size, nk::u64 sector_count);
    ~BlockDevice() override;

    // The driver's side, with the range already checked.
    virtual nk::ErrorOr do_read(nk::u64 sector, nk::u32 count, void* buffer) = 0;
    virtual nk::ErrorOr do_write(nk::u64 sector, nk::u32 count, const void* buffer) = 0;
    virtual nk::ErrorOr do_flush() { return {}; }

private:
    nk::ErrorOr check_range(nk::u64 sector, nk::u32 count) const;
    nk::ErrorOr partial_sector(nk::u64 sector, nk::u32 offset, nk::u32 length, nk::u8* buffer,
                               bool write);
    nk::ErrorOr move_bytes(nk::u64 byte, nk::u64 length, nk::u8* buffer, bool write);

    nk::u32 m_sector_size;
    nk::u64 m_sector_count;
    nk::u64 m_sectors_read = 0;
    nk::u64 m_sectors_written = 0;
    nk::u64 m_read_requests = 0;
    nk::u64 m_write_requests = 0;
    nk::u64 m_errors = 0;
};

// Takes over the creator's reference. Error::Exists when the name is taken, Error::Invalid for
// an empty or overlong name or a sector size that is not a power of two in [512, 4096].
nk::ErrorOr register_device(BlockDevice& device);
// Removes it from the registry and drops the registry's reference. Its pages leave the cache
// (dirty ones are lost, and said so: write them back first while the driver can still take them).
void unregister_device(BlockDevice& device);
// A reference to the device of that name (unref() it), or nullptr.
BlockDevice* find(const char* name);
void for_each_device(void (*visit)(BlockDevice& device, void* context), void* context);
nk::usize device_count();
// `sync`: the buffer cache's dirty pages to their disks, then each disk's own cache flushed.
nk::ErrorOr sync_all();
// What `lsblk` prints: one line per disk (size, traffic, dirty pages) and the cache's figures.
nk::usize format_device_list(char* buffer, nk::usize size);

} // namespace kernel::block
