// A small cache of sector blocks (FAT sectors, directory clusters). It holds nothing the disk
// does not once a request is over: a block changed during a request is marked dirty and written
// back by cache_flush, which the volume calls before every request returns (fat_volume.h's
// write-through rule, at the granularity the kernel commits writes).
#pragma once

#include "fat_volume.h"

namespace vfat {

constexpr uint32_t CACHE_SLOTS_MAX = 16;

struct CacheSlot {
    uint8_t* data;
    uint64_t first;    // first sector of the block
    uint32_t sectors;  // 0: empty
    uint32_t dirty_lo; // dirty sectors [dirty_lo, dirty_hi) of the block; equal when clean
    uint32_t dirty_hi;
    uint32_t stamp; // last use, for least-recently-used replacement
};

struct SectorCache {
    CacheSlot slots[CACHE_SLOTS_MAX];
    uint32_t count;
    uint32_t slot_bytes;
    uint32_t clock;
    // A dirty block is written to `copies` places, `copy_stride` sectors apart (the FATs).
    uint32_t copies;
    uint64_t copy_stride;
};

// Allocates `count` (<= CACHE_SLOTS_MAX) blocks of `slot_bytes`. -NK_ENOMEM.
nk_status cache_init(const Environment& env, SectorCache* cache, uint32_t count,
                     uint32_t slot_bytes, uint32_t copies, uint64_t copy_stride);
void cache_release(const Environment& env, SectorCache* cache);

// The block of `sectors` sectors at `first` (sectors * sector size <= slot_bytes), read from the
// device unless cached. With `fresh` the block is not read but zeroed and marked dirty whole (a
// newly allocated directory cluster).
nk_status cache_get(const Environment& env, SectorCache* cache, uint64_t first, uint32_t sectors,
                    bool fresh, CacheSlot** out);
// Marks sectors [lo, hi) of a block dirty.
void cache_mark(CacheSlot* slot, uint32_t lo, uint32_t hi);
// Writes every dirty block back. On a device error the cache is emptied (it may then hold what
// the disk does not) and the error returned.
nk_status cache_flush(const Environment& env, SectorCache* cache);
// Forgets blocks overlapping sectors [first, first + count), written back first if dirty.
nk_status cache_forget(const Environment& env, SectorCache* cache, uint64_t first, uint64_t count);
// Forgets everything without writing (after a failed request left the cache doubtful).
void cache_clear(SectorCache* cache);

} // namespace vfat
