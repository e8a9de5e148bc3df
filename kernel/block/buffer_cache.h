// The block layer's buffer cache: 4 KiB pages of every disk, shared by all file systems, kept
// in LRU order within a bounded budget. Writes are write-back: they land in the cache and reach
// the device when a page is evicted, on `sync`, or from the flusher thread every few seconds;
// the write-back sorts the dirty pages and merges adjacent ones into one request per run.
//
// A group of writes can be applied all or nothing (write_all): every page it touches is brought
// in and pinned first, and only then is anything changed — how a file system's crossing-atomic
// write set (write_transaction.h) is committed.
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace kernel::block {

class BlockDevice;

constexpr nk::u32 CACHE_PAGE_SIZE = 4096;
// The largest request the cache makes of a device (a read-ahead, a merged write-back): 256
// pages, so a sequential stream costs a driver one call per MiB.
constexpr nk::u32 CACHE_RUN_BYTES = 1024 * 1024;

// One write: `count` sectors from `sector` of `device`, the data at `data`. A list of them
// (next) is applied in order.
struct StagedWrite {
    StagedWrite* next;
    BlockDevice* device;
    nk::u64 sector;
    nk::u32 count;
    const nk::u8* data;
};

struct CacheStats {
    nk::u64 capacity_pages;
    nk::u64 pages;
    nk::u64 dirty_pages;
    nk::u64 hits;      // pages found in the cache
    nk::u64 misses;    // pages read from a device
    nk::u64 evictions; // pages dropped to make room
    nk::u64 written_pages;
    nk::u64 write_requests; // device writes the write-back made (merged runs)
    nk::u64 flushes;        // write-backs that found something dirty
};

// Range-checked by the caller (BlockDevice).
nk::ErrorOr cache_read(BlockDevice& device, nk::u64 sector, nk::u32 count, void* buffer);
// All of the writes, or (when bringing a page in fails) none of them.
nk::ErrorOr cache_write_all(const StagedWrite* first);
// Writes the dirty pages of `device` (every device when nullptr) to it, adjacent pages merged;
// with `flush_device`, then asks the device to flush its own write cache. Pages that could not
// be written stay dirty, and the first error is returned.
nk::ErrorOr cache_write_back(BlockDevice* device, bool flush_device);
// The device is gone for good: forget its pages. Dirty ones are lost; returns how many.
nk::u64 cache_forget_device(BlockDevice& device);
// Forgets clean pages (a benchmark's cold start). Returns how many.
nk::u64 cache_drop_clean();
CacheStats cache_stats();
// Dirty pages of one device (for `sync` reports and tests).
nk::u64 cache_dirty_pages(const BlockDevice& device);

// Starts the flusher thread (idempotent): dirty pages reach their devices within
// FLUSH_INTERVAL_MS even when nobody calls sync.
constexpr nk::u64 FLUSH_INTERVAL_MS = 3000;
void start_cache_flusher();

} // namespace kernel::block
