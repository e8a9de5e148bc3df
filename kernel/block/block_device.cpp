#include <kernel/block/block_device.h>
#include <kernel/block/buffer_cache.h>
#include <kernel/block/write_transaction.h>
#include <kernel/memory/kmalloc.h>

#include <stdio.h>
#include <string.h>

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

BlockDevice::~BlockDevice() {
    (void)cache_forget_device(*this);
}

nk::ErrorOr BlockDevice::read(nk::u64 sector, nk::u32 count, void* buffer) {
    TRY(check_range(sector, count));
    TRY(cache_read(*this, sector, count, buffer));
    if (WriteTransaction* transaction = WriteTransaction::current())
        transaction->overlay(*this, sector, count, buffer);
    return {};
}

nk::ErrorOr BlockDevice::write(nk::u64 sector, nk::u32 count, const void* buffer) {
    TRY(check_range(sector, count));
    if (WriteTransaction* transaction = WriteTransaction::current())
        return transaction->stage(*this, sector, count, buffer);
    StagedWrite write = {nullptr, this, sector, count, static_cast<const nk::u8*>(buffer)};
    return cache_write_all(&write);
}

namespace {

// The most sectors one read or write of the cache is asked for at a time.
constexpr nk::u32 SECTORS_PER_STEP = 1u << 16;

} // namespace

// One partial sector: bytes [offset, offset + length) of `sector`, read (and for a write
// patched and written back whole) through a scratch sector.
nk::ErrorOr BlockDevice::partial_sector(nk::u64 sector, nk::u32 offset, nk::u32 length,
                                        nk::u8* buffer, bool write) {
    auto* scratch = static_cast<nk::u8*>(kmalloc(m_sector_size));
    if (!scratch)
        return nk::Error::NoMemory;
    nk::ErrorOr result = read(sector, 1, scratch);
    if (result.has_value()) {
        if (write) {
            memcpy(scratch + offset, buffer, length);
            result = this->write(sector, 1, scratch); // staged as a copy: scratch goes now
        } else {
            memcpy(buffer, scratch + offset, length);
        }
    }
    kfree(scratch);
    return result;
}

nk::ErrorOr BlockDevice::move_bytes(nk::u64 byte, nk::u64 length, nk::u8* buffer, bool write) {
    nk::u64 end;
    if (length == 0 || __builtin_add_overflow(byte, length, &end) ||
        end > m_sector_count * m_sector_size)
        return nk::Error::Invalid;
    nk::u64 sector = byte / m_sector_size;
    nk::u32 head = nk::u32(byte % m_sector_size);
    if (head || length < m_sector_size) {
        nk::u32 piece = nk::u32(nk::min<nk::u64>(m_sector_size - head, length));
        TRY(partial_sector(sector, head, piece, buffer, write));
        buffer += piece;
        length -= piece;
        ++sector;
    }
    while (length >= m_sector_size) {
        nk::u32 count = nk::u32(nk::min<nk::u64>(length / m_sector_size, SECTORS_PER_STEP));
        if (!write) {
            TRY(read(sector, count, buffer));
        } else if (WriteTransaction* transaction = WriteTransaction::current()) {
            TRY(check_range(sector, count));
            TRY(transaction->stage_shared(*this, sector, count, buffer));
        } else {
            TRY(this->write(sector, count, buffer));
        }
        buffer += nk::u64(count) * m_sector_size;
        length -= nk::u64(count) * m_sector_size;
        sector += count;
    }
    if (length)
        TRY(partial_sector(sector, 0, nk::u32(length), buffer, write));
    return {};
}

nk::ErrorOr BlockDevice::read_bytes(nk::u64 byte, nk::u64 length, nk::u8* buffer) {
    return move_bytes(byte, length, buffer, false);
}

nk::ErrorOr BlockDevice::write_bytes(nk::u64 byte, nk::u64 length, const nk::u8* buffer) {
    return move_bytes(byte, length, const_cast<nk::u8*>(buffer), true);
}

nk::ErrorOr BlockDevice::flush() {
    if (!is_registered())
        return nk::Error::NoDevice;
    TRY(cache_write_back(this, false));
    return flush_direct();
}

nk::ErrorOr BlockDevice::read_direct(nk::u64 sector, nk::u32 count, void* buffer) {
    TRY(check_range(sector, count));
    ++m_read_requests;
    if (auto done = do_read(sector, count, buffer); done.is_error()) {
        ++m_errors;
        return done.error();
    }
    m_sectors_read += count;
    return {};
}

nk::ErrorOr BlockDevice::write_direct(nk::u64 sector, nk::u32 count, const void* buffer) {
    TRY(check_range(sector, count));
    ++m_write_requests;
    if (auto done = do_write(sector, count, buffer); done.is_error()) {
        ++m_errors;
        return done.error();
    }
    m_sectors_written += count;
    return {};
}

nk::ErrorOr BlockDevice::flush_direct() {
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
    device.ref(); // its pages go before the registry's reference does
    g_devices.remove(device);
    if (nk::u64 lost = cache_forget_device(device))
        kprintf("block: %s: gone with %llu unwritten pages of cache\n", device.name(),
                (unsigned long long)lost);
    device.unref();
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

namespace {
// The registered devices, with a reference each (unref() them): I/O cannot run inside the
// registry's walk, which keeps interrupts off.
struct DeviceSnapshot {
    static constexpr nk::usize MAX = 16;
    BlockDevice* devices[MAX];
    nk::usize count;

    DeviceSnapshot() : count(0) {
        for_each_device(
            [](BlockDevice& device, void* context) {
                auto& self = *static_cast<DeviceSnapshot*>(context);
                if (self.count < MAX) {
                    device.ref();
                    self.devices[self.count++] = &device;
                }
            },
            this);
    }
    ~DeviceSnapshot() {
        for (nk::usize i = 0; i < count; ++i)
            devices[i]->unref();
    }
};
} // namespace

nk::ErrorOr sync_all() {
    nk::ErrorOr result = cache_write_back(nullptr, false);
    DeviceSnapshot snapshot;
    for (nk::usize i = 0; i < snapshot.count; ++i) {
        auto flushed = snapshot.devices[i]->flush_direct();
        if (flushed.is_error() && result.has_value())
            result = flushed.error();
    }
    return result;
}

nk::usize format_device_list(char* buffer, nk::usize size) {
    nk::usize used = 0;
    auto add = [&](int written) {
        if (written > 0)
            used = nk::min(size, used + nk::usize(written));
    };
    if (size == 0)
        return 0;
    buffer[0] = 0;
    add(snprintf(buffer, size,
                 "NAME      SECTORS  SIZE(MiB)  READS(req/KiB)  WRITES(req/KiB)  ERRORS  DIRTY\n"));
    DeviceSnapshot snapshot;
    for (nk::usize i = 0; i < snapshot.count && used < size; ++i) {
        BlockDevice& device = *snapshot.devices[i];
        nk::u64 bytes = device.sector_count() * device.sector_size();
        add(snprintf(buffer + used, size - used,
                     "%-6s %10llu %10llu %7llu/%-8llu %7llu/%-9llu %6llu %6llu\n", device.name(),
                     (unsigned long long)device.sector_count(), (unsigned long long)(bytes >> 20),
                     (unsigned long long)device.read_requests(),
                     (unsigned long long)(device.sectors_read() * device.sector_size() / 1024),
                     (unsigned long long)device.write_requests(),
                     (unsigned long long)(device.sectors_written() * device.sector_size() / 1024),
                     (unsigned long long)device.errors(),
                     (unsigned long long)cache_dirty_pages(device)));
    }
    if (snapshot.count == 0 && used < size)
        add(snprintf(buffer + used, size - used, "(no disks)\n"));
    CacheStats cache = cache_stats();
    if (used < size)
        add(snprintf(buffer + used, size - used,
                     "cache: %llu of %llu pages (%llu KiB), %llu dirty; %llu hits, %llu misses, "
                     "%llu evictions; write-back: %llu pages in %llu requests, %llu flushes\n",
                     (unsigned long long)cache.pages, (unsigned long long)cache.capacity_pages,
                     (unsigned long long)(cache.capacity_pages * CACHE_PAGE_SIZE / 1024),
                     (unsigned long long)cache.dirty_pages, (unsigned long long)cache.hits,
                     (unsigned long long)cache.misses, (unsigned long long)cache.evictions,
                     (unsigned long long)cache.written_pages,
                     (unsigned long long)cache.write_requests, (unsigned long long)cache.flushes));
    return used;
}

} // namespace kernel::block
