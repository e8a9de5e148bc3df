// The sector-block cache of the FAT and of directories.
#include "fat_cache.h"

#include <nooks/support.h>

namespace vfat {

namespace {

nk_status write_back(const Environment& env, SectorCache* cache, CacheSlot* slot) {
    if (slot->dirty_lo == slot->dirty_hi)
        return 0;
    for (uint32_t copy = 0; copy < cache->copies; ++copy) {
        nk_status status = env.write(
            env.context, slot->first + copy * cache->copy_stride + slot->dirty_lo,
            slot->dirty_hi - slot->dirty_lo, slot->data + slot->dirty_lo * env.sector_size);
        if (status < 0)
            return -NK_EIO;
    }
    slot->dirty_lo = slot->dirty_hi = 0;
    return 0;
}

} // namespace

nk_status cache_init(const Environment& env, SectorCache* cache, uint32_t count,
                     uint32_t slot_bytes, uint32_t copies, uint64_t copy_stride) {
    memset(cache, 0, sizeof *cache);
    if (count > CACHE_SLOTS_MAX)
        count = CACHE_SLOTS_MAX;
    cache->slot_bytes = slot_bytes;
    cache->copies = copies;
    cache->copy_stride = copy_stride;
    for (uint32_t i = 0; i < count; ++i) {
        cache->slots[i].data = static_cast<uint8_t*>(env.allocate(slot_bytes));
        if (!cache->slots[i].data)
            return -NK_ENOMEM;
        cache->count = i + 1;
    }
    return 0;
}

void cache_release(const Environment& env, SectorCache* cache) {
    for (uint32_t i = 0; i < cache->count; ++i) {
        env.release(cache->slots[i].data);
        cache->slots[i].data = nullptr;
    }
    cache->count = 0;
}

nk_status cache_get(const Environment& env, SectorCache* cache, uint64_t first, uint32_t sectors,
                    bool fresh, CacheSlot** out) {
    if (sectors == 0 || uint64_t(sectors) * env.sector_size > cache->slot_bytes)
        return -NK_EIO;
    CacheSlot* victim = nullptr;
    for (uint32_t i = 0; i < cache->count; ++i) {
        CacheSlot* slot = &cache->slots[i];
        if (slot->sectors == sectors && slot->first == first) {
            slot->stamp = ++cache->clock;
            if (fresh) {
                memset(slot->data, 0, sectors * env.sector_size);
                cache_mark(slot, 0, sectors);
            }
            *out = slot;
            return 0;
        }
        if (!victim || slot->sectors == 0 || (victim->sectors != 0 && slot->stamp < victim->stamp))
            victim = slot;
    }
    if (!victim)
        return -NK_ENOMEM;
    nk_status status = write_back(env, cache, victim);
    if (status < 0)
        return status;
    // Overlapping blocks of another size (not made by this code's geometry) are dropped first so
    // two slots never hold the same sector.
    status = cache_forget(env, cache, first, sectors);
    if (status < 0)
        return status;
    victim->sectors = 0;
    if (fresh) {
        memset(victim->data, 0, sectors * env.sector_size);
        victim->first = first;
        victim->sectors = sectors;
        cache_mark(victim, 0, sectors);
    } else {
        if (env.read(env.context, first, sectors, victim->data) < 0)
            return -NK_EIO;
        victim->first = first;
        victim->sectors = sectors;
    }
    victim->stamp = ++cache->clock;
    *out = victim;
    return 0;
}

void cache_mark(CacheSlot* slot, uint32_t lo, uint32_t hi) {
    if (slot->dirty_lo == slot->dirty_hi) {
        slot->dirty_lo = lo;
        slot->dirty_hi = hi;
        return;
    }
    if (lo < slot->dirty_lo)
        slot->dirty_lo = lo;
    if (hi > slot->dirty_hi)
        slot->dirty_hi = hi;
}

nk_status cache_flush(const Environment& env, SectorCache* cache) {
    nk_status result = 0;
    for (uint32_t i = 0; i < cache->count; ++i) {
        if (write_back(env, cache, &cache->slots[i]) < 0)
            result = -NK_EIO;
    }
    if (result < 0)
        cache_clear(cache);
    return result;
}

nk_status cache_forget(const Environment& env, SectorCache* cache, uint64_t first, uint64_t count) {
    for (uint32_t i = 0; i < cache->count; ++i) {
        CacheSlot* slot = &cache->slots[i];
        if (slot->sectors == 0 || slot->first >= first + count ||
            slot->first + slot->sectors <= first)
            continue;
        nk_status status = write_back(env, cache, slot);
        slot->sectors = 0;
        slot->dirty_lo = slot->dirty_hi = 0;
        if (status < 0)
            return status;
    }
    return 0;
}

void cache_clear(SectorCache* cache) {
    for (uint32_t i = 0; i < cache->count; ++i) {
        cache->slots[i].sectors = 0;
        cache->slots[i].dirty_lo = cache->slots[i].dirty_hi = 0;
    }
}

} // namespace vfat
