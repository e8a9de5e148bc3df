// The file allocation table: entries of FAT12/16/32, cluster chains, allocation and the FAT32
// FSInfo sector (specification, "FAT Data Structure" and "FAT32 FSInfo Sector Structure").
// FAT blocks are cached; a changed block is written to every FAT copy before the request ends.
#include "fat_volume_state.h"

#include <nooks/support.h>

namespace vfat {

namespace {

uint32_t end_of_chain_min(const Volume* v) {
    switch (v->geo.type) {
    case FatType::Fat12:
        return 0xFF8;
    case FatType::Fat16:
        return 0xFFF8;
    default:
        return 0x0FFFFFF8;
    }
}

uint32_t end_of_chain(const Volume* v) {
    switch (v->geo.type) {
    case FatType::Fat12:
        return 0xFFF;
    case FatType::Fat16:
        return 0xFFFF;
    default:
        return 0x0FFFFFFF;
    }
}

// The byte at `offset` in the FAT, in its cached block, and the block's sector of it.
nk_status fat_byte(Volume* v, uint32_t offset, uint8_t** byte, CacheSlot** slot,
                   uint32_t* sector_in_block) {
    uint32_t sector = offset >> v->geo.sector_shift;
    if (sector >= v->geo.fat_sectors)
        return -NK_EIO;
    uint32_t block = sector / v->fat_block_sectors * v->fat_block_sectors;
    uint32_t sectors = v->geo.fat_sectors - block;
    if (sectors > v->fat_block_sectors)
        sectors = v->fat_block_sectors;
    nk_status status =
        cache_get(v->env, &v->fat, uint64_t(v->geo.fat_start) + block, sectors, false, slot);
    if (status < 0)
        return status;
    *byte = (*slot)->data + (offset - (block << v->geo.sector_shift));
    *sector_in_block = sector - block;
    return 0;
}

// Walks a chain to its end without changing anything: 0 when every link is a valid cluster and
// the chain ends within the volume's cluster count.
nk_status check_chain(Volume* v, uint32_t first) {
    if (!cluster_valid(v, first))
        return -NK_EIO;
    uint32_t cluster = first;
    for (uint32_t length = 1;; ++length) {
        uint32_t next;
        nk_status status = fat_next(v, cluster, &next);
        if (status < 0)
            return status;
        if (next == 0)
            return 0;
        // A chain cannot hold more clusters than the volume has: a loop.
        if (length >= v->geo.cluster_count)
            return -NK_EIO;
        cluster = next;
    }
}

} // namespace

bool cluster_valid(const Volume* v, uint32_t cluster) {
    return cluster >= 2 && cluster <= v->geo.cluster_count + 1;
}

uint64_t cluster_sector(const Volume* v, uint32_t cluster) {
    return uint64_t(v->geo.data_start) + uint64_t(cluster - 2) * v->geo.sectors_per_cluster;
}

nk_status fat_get(Volume* v, uint32_t cluster, uint32_t* value) {
    if (!cluster_valid(v, cluster))
        return -NK_EIO;
    uint8_t* byte;
    CacheSlot* slot;
    uint32_t sector;
    nk_status status;
    switch (v->geo.type) {
    case FatType::Fat12: {
        // 12-bit entries packed in pairs; one may straddle two sectors (or cache blocks), so its
        // two bytes are fetched one at a time.
        uint32_t offset = cluster + cluster / 2;
        if ((status = fat_byte(v, offset, &byte, &slot, &sector)) < 0)
            return status;
        uint32_t low = *byte;
        if ((status = fat_byte(v, offset + 1, &byte, &slot, &sector)) < 0)
            return status;
        uint32_t both = low | (uint32_t(*byte) << 8);
        *value = (cluster & 1) ? both >> 4 : both & 0xFFF;
        return 0;
    }
    case FatType::Fat16:
        if ((status = fat_byte(v, cluster * 2, &byte, &slot, &sector)) < 0)
            return status;
        *value = nk_le16(byte);
        return 0;
    default:
        if ((status = fat_byte(v, cluster * 4, &byte, &slot, &sector)) < 0)
            return status;
        // The top 4 bits of a FAT32 entry are reserved.
        *value = nk_le32(byte) & 0x0FFFFFFF;
        return 0;
    }
}

nk_status fat_set(Volume* v, uint32_t cluster, uint32_t value) {
    if (!cluster_valid(v, cluster))
        return -NK_EIO;
    uint8_t* byte;
    CacheSlot* slot;
    uint32_t sector;
    nk_status status;
    switch (v->geo.type) {
    case FatType::Fat12: {
        uint32_t offset = cluster + cluster / 2;
        value &= 0xFFF;
        if ((status = fat_byte(v, offset, &byte, &slot, &sector)) < 0)
            return status;
        if (cluster & 1)
            *byte = uint8_t((*byte & 0x0F) | ((value & 0x0F) << 4));
        else
            *byte = uint8_t(value);
        cache_mark(slot, sector, sector + 1);
        if ((status = fat_byte(v, offset + 1, &byte, &slot, &sector)) < 0)
            return status;
        if (cluster & 1)
            *byte = uint8_t(value >> 4);
        else
            *byte = uint8_t((*byte & 0xF0) | (value >> 8));
        cache_mark(slot, sector, sector + 1);
        return 0;
    }
    case FatType::Fat16:
        if ((status = fat_byte(v, cluster * 2, &byte, &slot, &sector)) < 0)
            return status;
        nk_put_le16(byte, uint16_t(value));
        cache_mark(slot, sector, sector + 1);
        return 0;
    default:
        if ((status = fat_byte(v, cluster * 4, &byte, &slot, &sector)) < 0)
            return status;
        // Keep the reserved top 4 bits as they are (specification, "FAT32 FAT entry values").
        nk_put_le32(byte, (nk_le32(byte) & 0xF0000000) | (value & 0x0FFFFFFF));
        cache_mark(slot, sector, sector + 1);
        return 0;
    }
}

nk_status fat_next(Volume* v, uint32_t cluster, uint32_t* next) {
    uint32_t value;
    nk_status status = fat_get(v, cluster, &value);
    if (status < 0)
        return status;
    if (value >= end_of_chain_min(v)) {
        *next = 0;
        return 0;
    }
    // Free (0), reserved (1), bad (0x...FF7) and numbers past the last cluster do not belong in
    // a chain.
    if (!cluster_valid(v, value))
        return -NK_EIO;
    *next = value;
    return 0;
}

nk_status count_free_clusters(Volume* v) {
    uint32_t free = 0;
    for (uint32_t cluster = 2; cluster <= v->geo.cluster_count + 1; ++cluster) {
        uint32_t value;
        nk_status status = fat_get(v, cluster, &value);
        if (status < 0)
            return status;
        if (value == 0)
            ++free;
    }
    v->free_clusters = free;
    return 0;
}

nk_status allocate_clusters(Volume* v, uint32_t count, uint32_t tail, uint32_t* first) {
    *first = 0;
    if (count == 0)
        return 0;
    if (count > v->free_clusters)
        return -NK_ENOSPC;
    uint32_t cluster = cluster_valid(v, v->search_from) ? v->search_from : 2;
    uint32_t previous = 0;
    uint32_t found = 0;
    nk_status status = 0;
    for (uint32_t scanned = 0; scanned < v->geo.cluster_count && found < count; ++scanned) {
        uint32_t value;
        if ((status = fat_get(v, cluster, &value)) < 0)
            break;
        if (value == 0) {
            if ((status = fat_set(v, cluster, end_of_chain(v))) < 0)
                break;
            if (previous && (status = fat_set(v, previous, cluster)) < 0)
                break;
            if (!previous)
                *first = cluster;
            previous = cluster;
            ++found;
            --v->free_clusters;
            v->fsinfo_changed = true;
        }
        cluster = cluster == v->geo.cluster_count + 1 ? 2 : cluster + 1;
    }
    if (status == 0 && found < count)
        status = -NK_EIO; // the free count was wrong: the FAT changed under us
    if (status == 0 && tail) {
        status = fat_set(v, tail, *first);
        for (ChainPosition& position : v->positions) {
            if (position.length && position.last == tail)
                position.length = 0;
        }
    }
    if (status < 0) {
        if (*first)
            free_chain(v, *first);
        *first = 0;
        return status;
    }
    v->search_from = cluster;
    v->last_allocated = previous;
    return 0;
}

nk_status free_chain(Volume* v, uint32_t first) {
    nk_status status = check_chain(v, first);
    if (status < 0)
        return status;
    chain_forget(v);
    uint32_t cluster = first;
    while (cluster) {
        uint32_t next;
        if ((status = fat_next(v, cluster, &next)) < 0)
            return status;
        if ((status = fat_set(v, cluster, 0)) < 0)
            return status;
        ++v->free_clusters;
        v->fsinfo_changed = true;
        cluster = next;
    }
    return 0;
}

nk_status cut_chain(Volume* v, uint32_t first, uint32_t keep) {
    uint32_t last;
    nk_status status = chain_seek(v, first, keep - 1, &last);
    if (status == -NK_ENOENT)
        return 0;
    if (status < 0)
        return status;
    uint32_t next;
    if ((status = fat_next(v, last, &next)) < 0)
        return status;
    if (next == 0)
        return 0;
    if ((status = free_chain(v, next)) < 0)
        return status;
    return fat_set(v, last, end_of_chain(v));
}

nk_status chain_seek(Volume* v, uint32_t first, uint32_t index, uint32_t* out) {
    if (!cluster_valid(v, first))
        return -NK_EIO;
    uint32_t cluster = first;
    uint32_t at = 0;
    for (const ChainPosition& position : v->positions) {
        if (position.first == first && position.index <= index && position.index >= at &&
            position.cluster) {
            cluster = position.cluster;
            at = position.index;
        }
    }
    while (at < index) {
        uint32_t next;
        nk_status status = fat_next(v, cluster, &next);
        if (status < 0)
            return status;
        if (next == 0)
            return -NK_ENOENT;
        if (at + 2 > v->geo.cluster_count)
            return -NK_EIO; // longer than the volume: a loop
        cluster = next;
        ++at;
    }
    chain_remember(v, first, index, cluster);
    *out = cluster;
    return 0;
}

nk_status chain_end(Volume* v, uint32_t first, uint32_t* length, uint32_t* last) {
    if (!cluster_valid(v, first))
        return -NK_EIO;
    for (const ChainPosition& position : v->positions) {
        if (position.first == first && position.length) {
            *length = position.length;
            *last = position.last;
            return 0;
        }
    }
    uint32_t cluster = first;
    uint32_t count = 1;
    for (;;) {
        uint32_t next;
        nk_status status = fat_next(v, cluster, &next);
        if (status < 0)
            return status;
        if (next == 0)
            break;
        if (count >= v->geo.cluster_count)
            return -NK_EIO; // longer than the volume: a loop
        cluster = next;
        ++count;
    }
    chain_remember(v, first, count - 1, cluster);
    for (ChainPosition& position : v->positions) {
        if (position.first == first) {
            position.length = count;
            position.last = cluster;
        }
    }
    *length = count;
    *last = cluster;
    return 0;
}

void chain_known_end(Volume* v, uint32_t first, uint32_t length, uint32_t last) {
    for (ChainPosition& position : v->positions) {
        if (position.first == first) {
            position.length = length;
            position.last = last;
            return;
        }
    }
    chain_remember(v, first, length - 1, last);
    chain_known_end(v, first, length, last);
}

nk_status check_directory_chain(Volume* v, uint32_t first) {
    if (!cluster_valid(v, first))
        return -NK_EIO;
    uint32_t limit = DIRECTORY_ENTRIES_MAX / (v->geo.cluster_size / ENTRY_SIZE);
    uint32_t cluster = first;
    for (uint32_t count = 1;; ++count) {
        uint32_t next;
        nk_status status = fat_next(v, cluster, &next);
        if (status < 0)
            return status;
        if (next == 0)
            return 0;
        if (count >= limit || count >= v->geo.cluster_count)
            return -NK_EIO;
        cluster = next;
    }
}

void chain_remember(Volume* v, uint32_t first, uint32_t index, uint32_t cluster) {
    for (ChainPosition& position : v->positions) {
        if (position.first == first) {
            position.index = index;
            position.cluster = cluster;
            return;
        }
    }
    ChainPosition& slot = v->positions[v->position_next];
    v->position_next = (v->position_next + 1) % CHAIN_POSITIONS;
    slot.first = first;
    slot.index = index;
    slot.cluster = cluster;
    slot.length = 0;
    slot.last = 0;
}

void chain_forget(Volume* v) {
    memset(v->positions, 0, sizeof v->positions);
}

nk_status fat_flush(Volume* v) {
    nk_status status = cache_flush(v->env, &v->fat);
    if (v->fsinfo && v->fsinfo_changed) {
        // FSI_Free_Count and FSI_Nxt_Free (specification, "FAT32 FSInfo Sector Structure"): the
        // count this driver keeps exactly, and the last cluster it allocated as the hint.
        nk_put_le32(v->fsinfo + 488, v->free_clusters);
        nk_put_le32(v->fsinfo + 492, v->last_allocated ? v->last_allocated : 0xFFFFFFFF);
        if (v->env.write(v->env.context, v->geo.fsinfo_sector, 1, v->fsinfo) < 0)
            status = -NK_EIO;
        v->fsinfo_changed = false;
    }
    return status;
}

} // namespace vfat
