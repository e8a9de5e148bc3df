// Directories: 32-byte entries in the fixed root region (FAT12/16) or in a cluster chain, long
// name entry sets (specification, "FAT Long Directory Entries"), and the scans that find names,
// pick 8.3 aliases and make room for new entries. Entries are read and changed through the
// directory block cache.
#include "fat_time.h"
#include "fat_volume_state.h"

#include <nooks/support.h>

namespace vfat {

namespace {

// The UTF-16 units of a long entry: 5 at offset 1, 6 at 14, 2 at 28.
constexpr uint8_t LONG_UNIT_OFFSETS[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
constexpr uint8_t LAST_LONG_ENTRY = 0x40;

bool is_long_entry(const uint8_t* raw) {
    return (raw[11] & 0x3F) == ATTR_LONG_NAME;
}

// The block of the directory cache holding `sector`: a cluster of the data region, or a
// cluster-sized piece of the fixed root region.
nk_status block_of(const Volume* v, uint64_t sector, uint64_t* first, uint32_t* count) {
    const Geometry& g = v->geo;
    if (g.root_sectors && sector >= g.root_start && sector < g.root_start + g.root_sectors) {
        uint32_t offset =
            uint32_t(sector - g.root_start) / g.sectors_per_cluster * g.sectors_per_cluster;
        *first = g.root_start + offset;
        *count = g.root_sectors - offset < g.sectors_per_cluster ? g.root_sectors - offset
                                                                 : g.sectors_per_cluster;
        return 0;
    }
    uint64_t data_end = g.data_start + uint64_t(g.cluster_count) * g.sectors_per_cluster;
    if (sector >= g.data_start && sector < data_end) {
        *first =
            g.data_start + (sector - g.data_start) / g.sectors_per_cluster * g.sectors_per_cluster;
        *count = g.sectors_per_cluster;
        return 0;
    }
    return -NK_EIO;
}

nk_status block_at(Volume* v, uint64_t position, CacheSlot** slot, uint32_t* offset) {
    uint64_t first;
    uint32_t count;
    nk_status status = block_of(v, position >> v->geo.sector_shift, &first, &count);
    if (status < 0)
        return status;
    if ((status = cache_get(v->env, &v->directory, first, count, false, slot)) < 0)
        return status;
    *offset = uint32_t(position - (first << v->geo.sector_shift));
    return 0;
}

bool matches(const Entry* entry, const uint16_t* name, uint32_t length) {
    if (entry->name_length && same_name(entry->name, entry->name_length, name, length))
        return true;
    uint16_t short_text[12];
    uint32_t short_length = short_name_text(entry->raw, 0, short_text);
    return same_name(short_text, short_length, name, length);
}

} // namespace

uint32_t entry_cluster(const Volume* v, const uint8_t* raw) {
    // DIR_FstClusHI is meaningful on FAT32 only (specification, "Directory Structure").
    uint32_t high = v->geo.type == FatType::Fat32 ? nk_le16(raw + 20) : 0;
    return (high << 16) | nk_le16(raw + 26);
}

void set_entry_cluster(uint8_t* raw, uint32_t cluster) {
    nk_put_le16(raw + 20, uint16_t(cluster >> 16));
    nk_put_le16(raw + 26, uint16_t(cluster));
}

nk_status entry_at(Volume* v, uint64_t position, uint8_t** raw) {
    CacheSlot* slot;
    uint32_t offset;
    nk_status status = block_at(v, position, &slot, &offset);
    if (status < 0)
        return status;
    *raw = slot->data + offset;
    return 0;
}

nk_status put_entry(Volume* v, uint64_t position, const uint8_t* raw) {
    CacheSlot* slot;
    uint32_t offset;
    nk_status status = block_at(v, position, &slot, &offset);
    if (status < 0)
        return status;
    memcpy(slot->data + offset, raw, ENTRY_SIZE);
    uint32_t sector = offset >> v->geo.sector_shift;
    cache_mark(slot, sector, sector + 1);
    return 0;
}

nk_status fresh_directory_cluster(Volume* v, uint32_t cluster) {
    CacheSlot* slot;
    return cache_get(v->env, &v->directory, cluster_sector(v, cluster), v->geo.sectors_per_cluster,
                     true, &slot);
}

void walker_start(const Volume*, Directory directory, DirWalker* walker) {
    walker->directory = directory;
    walker->index = 0;
    walker->cluster = directory.first_cluster;
    walker->cluster_index = 0;
}

nk_status walker_position(Volume* v, DirWalker* walker, uint64_t* position) {
    const Geometry& g = v->geo;
    if (walker->directory.fixed) {
        if (walker->index >= g.root_entries)
            return -NK_ENOENT;
        *position = (uint64_t(g.root_start) << g.sector_shift) + uint64_t(walker->index) * 32;
        return 0;
    }
    uint32_t per_cluster = g.cluster_size / ENTRY_SIZE;
    uint32_t wanted = walker->index / per_cluster;
    while (walker->cluster_index < wanted) {
        uint32_t next;
        nk_status status = fat_next(v, walker->cluster, &next);
        if (status < 0)
            return status;
        if (next == 0)
            return -NK_ENOENT;
        // A directory larger than the specification's 65536 entries is a damaged chain (and
        // bounds the walk of a loop).
        if (walker->index >= DIRECTORY_ENTRIES_MAX)
            return -NK_EIO;
        walker->cluster = next;
        ++walker->cluster_index;
    }
    *position = (cluster_sector(v, walker->cluster) << g.sector_shift) +
                uint64_t(walker->index % per_cluster) * 32;
    return 0;
}

nk_status next_entry(Volume* v, DirWalker* walker, Entry* entry) {
    uint32_t expected = 0; // the order number the next long entry must have; 0: no set open
    uint8_t checksum = 0;
    uint32_t units = 0;
    entry->long_count = 0;
    for (;;) {
        uint64_t position;
        nk_status status = walker_position(v, walker, &position);
        if (status < 0)
            return status;
        uint8_t* raw;
        if ((status = entry_at(v, position, &raw)) < 0)
            return status;
        // 0x00: this entry and all after it are free (specification, "Directory Structure").
        if (raw[0] == 0)
            return -NK_ENOENT;
        ++walker->index;
        if (raw[0] == ENTRY_FREE) {
            expected = 0;
            continue;
        }
        if (is_long_entry(raw)) {
            uint32_t order = raw[0] & 0x3F;
            bool first = raw[0] & LAST_LONG_ENTRY;
            if (first && order >= 1 && order <= LONG_ENTRIES_MAX) {
                expected = order;
                checksum = raw[13];
                units = order * 13;
                entry->long_count = 0;
            } else if (!first && expected > 1 && order == expected - 1 && raw[13] == checksum) {
                expected = order;
            } else {
                expected = 0; // an orphan or out-of-order long entry: ignored
                continue;
            }
            for (uint32_t i = 0; i < 13; ++i)
                entry->name[(order - 1) * 13 + i] = nk_le16(raw + LONG_UNIT_OFFSETS[i]);
            entry->long_positions[entry->long_count++] = position;
            continue;
        }
        if (raw[11] & ATTR_VOLUME_ID) {
            expected = 0;
            continue;
        }
        memcpy(entry->raw, raw, ENTRY_SIZE);
        entry->position = position;
        entry->name_length = 0;
        if (expected == 1 && short_name_checksum(raw) == checksum) {
            uint32_t length = 0;
            while (length < units && entry->name[length] != 0)
                ++length;
            if (length >= 1 && length <= LONG_NAME_MAX)
                entry->name_length = length;
        }
        if (entry->name_length == 0)
            entry->long_count = 0;
        return 0;
    }
}

nk_status find_entry(Volume* v, Directory directory, const uint16_t* name, uint32_t length,
                     Entry* out) {
    DirWalker walker;
    walker_start(v, directory, &walker);
    for (;;) {
        nk_status status = next_entry(v, &walker, out);
        if (status < 0)
            return status;
        if (!is_dot_name(out->raw) && matches(out, name, length))
            return 0;
    }
}

nk_status directory_is_empty(Volume* v, Directory directory) {
    DirWalker walker;
    walker_start(v, directory, &walker);
    for (;;) {
        nk_status status = next_entry(v, &walker, &v->scan);
        if (status == -NK_ENOENT)
            return 0;
        if (status < 0)
            return status;
        if (!is_dot_name(v->scan.raw))
            return -NK_ENOTEMPTY;
    }
}

nk_status choose_short_name(Volume* v, Directory directory, const ShortName& basis,
                            uint64_t exclude_a, uint64_t exclude_b, uint8_t out[11]) {
    if (!basis.needs_tail) {
        memcpy(out, basis.name, 11);
        return 0;
    }
    // Specification, "The Numeric-Tail Generation Algorithm": the smallest ~n whose name no
    // short entry of the directory has. One scan notes every n taken.
    memset(v->tails, 0, sizeof v->tails);
    DirWalker walker;
    walker_start(v, directory, &walker);
    for (;;) {
        nk_status status = next_entry(v, &walker, &v->scan);
        if (status == -NK_ENOENT)
            break;
        if (status < 0)
            return status;
        if (v->scan.position == exclude_a || v->scan.position == exclude_b)
            continue;
        uint32_t n = tail_of(v->scan.raw, basis.name);
        if (n && n < TAIL_NUMBERS)
            v->tails[n / 8] = uint8_t(v->tails[n / 8] | (1u << (n % 8)));
    }
    for (uint32_t n = 1; n < TAIL_NUMBERS; ++n) {
        if (!(v->tails[n / 8] & (1u << (n % 8)))) {
            apply_tail(basis.name, n, out);
            return 0;
        }
    }
    return -NK_ENOSPC;
}

nk_status reserve_entries(Volume* v, Directory directory, uint32_t count, uint32_t spare,
                          uint64_t* positions) {
    DirWalker walker;
    walker_start(v, directory, &walker);
    uint32_t run = 0;
    bool end_seen = false;
    nk_status status;
    for (;;) {
        uint64_t position;
        status = walker_position(v, &walker, &position);
        if (status == -NK_ENOENT)
            break;
        if (status < 0)
            return status;
        uint8_t first_byte = 0;
        if (!end_seen) {
            uint8_t* raw;
            if ((status = entry_at(v, position, &raw)) < 0)
                return status;
            first_byte = raw[0];
            end_seen = first_byte == 0;
        }
        if (end_seen || first_byte == ENTRY_FREE) {
            positions[run++] = position;
            if (run == count) {
                if (end_seen) {
                    // The entries now stand where the end mark was: whatever follows them must
                    // read as the end again.
                    ++walker.index;
                    uint64_t after;
                    status = walker_position(v, &walker, &after);
                    if (status == -NK_ENOENT)
                        return 0;
                    if (status < 0)
                        return status;
                    uint8_t* raw;
                    if ((status = entry_at(v, after, &raw)) < 0)
                        return status;
                    if (raw[0] != 0) {
                        uint8_t copy[ENTRY_SIZE];
                        memcpy(copy, raw, ENTRY_SIZE);
                        copy[0] = 0;
                        return put_entry(v, after, copy);
                    }
                }
                return 0;
            }
        } else {
            run = 0;
        }
        ++walker.index;
    }
    // Full: a chain grows by zeroed clusters; the fixed root cannot grow.
    if (directory.fixed)
        return -NK_ENOSPC;
    uint32_t per_cluster = v->geo.cluster_size / ENTRY_SIZE;
    uint32_t needed = count - run;
    uint32_t clusters = (needed + per_cluster - 1) / per_cluster;
    if (uint64_t(walker.index) + needed > DIRECTORY_ENTRIES_MAX)
        return -NK_ENOSPC;
    if (uint64_t(clusters) + spare > v->free_clusters)
        return -NK_ENOSPC;
    uint32_t cluster;
    if ((status = allocate_clusters(v, clusters, walker.cluster, &cluster)) < 0)
        return status;
    for (uint32_t i = 0; i < clusters; ++i) {
        if ((status = fresh_directory_cluster(v, cluster)) < 0)
            return status;
        uint64_t base = cluster_sector(v, cluster) << v->geo.sector_shift;
        for (uint32_t e = 0; e < per_cluster && run < count; ++e)
            positions[run++] = base + uint64_t(e) * ENTRY_SIZE;
        if (i + 1 < clusters && (status = fat_next(v, cluster, &cluster)) < 0)
            return status;
    }
    return 0;
}

nk_status write_entries(Volume* v, const uint64_t* positions, uint32_t count, const uint16_t* name,
                        uint32_t length, const uint8_t* raw) {
    uint8_t checksum = short_name_checksum(raw);
    uint32_t long_count = count - 1;
    nk_status status;
    for (uint32_t i = 0; i < long_count; ++i) {
        // The set is stored last piece first: order N (with 0x40) down to 1 just before the
        // short entry.
        uint32_t order = long_count - i;
        uint8_t entry[ENTRY_SIZE];
        memset(entry, 0, sizeof entry);
        entry[0] = uint8_t(order | (i == 0 ? LAST_LONG_ENTRY : 0));
        entry[11] = ATTR_LONG_NAME;
        entry[13] = checksum;
        for (uint32_t u = 0; u < 13; ++u) {
            uint32_t at = (order - 1) * 13 + u;
            // The name ends with 0x0000 unless it fills the set; the rest is 0xFFFF.
            uint16_t unit = at < length ? name[at] : at == length ? 0x0000 : 0xFFFF;
            nk_put_le16(entry + LONG_UNIT_OFFSETS[u], unit);
        }
        if ((status = put_entry(v, positions[i], entry)) < 0)
            return status;
    }
    return put_entry(v, positions[long_count], raw);
}

nk_status delete_entries(Volume* v, const Entry* entry) {
    nk_status status;
    for (uint32_t i = 0; i <= entry->long_count; ++i) {
        uint64_t position = i < entry->long_count ? entry->long_positions[i] : entry->position;
        uint8_t* raw;
        if ((status = entry_at(v, position, &raw)) < 0)
            return status;
        uint8_t copy[ENTRY_SIZE];
        memcpy(copy, raw, ENTRY_SIZE);
        copy[0] = ENTRY_FREE;
        if ((status = put_entry(v, position, copy)) < 0)
            return status;
    }
    return 0;
}

uint64_t node_number(uint64_t position) {
    return 2 + position / ENTRY_SIZE;
}

nk_status load_node(Volume* v, uint64_t node, uint8_t* raw) {
    if (node < 2 || node - 2 > (uint64_t(1) << 56))
        return -NK_ENOENT;
    uint64_t position = (node - 2) * ENTRY_SIZE;
    uint64_t first;
    uint32_t count;
    if (block_of(v, position >> v->geo.sector_shift, &first, &count) < 0)
        return -NK_ENOENT;
    uint8_t* entry;
    nk_status status = entry_at(v, position, &entry);
    if (status < 0)
        return status;
    // The node must still be a live short entry: a stale number (its entry deleted or moved)
    // names nothing.
    if (entry[0] == 0 || entry[0] == ENTRY_FREE || is_long_entry(entry) ||
        (entry[11] & ATTR_VOLUME_ID) || is_dot_name(entry))
        return -NK_ENOENT;
    memcpy(raw, entry, ENTRY_SIZE);
    return 0;
}

nk_status directory_of(Volume* v, uint64_t node, Directory* out) {
    if (node == ROOT_NODE) {
        out->fixed = v->geo.type != FatType::Fat32;
        out->first_cluster = out->fixed ? 0 : v->geo.root_cluster;
        return out->fixed ? 0 : check_directory_chain(v, out->first_cluster);
    }
    uint8_t raw[ENTRY_SIZE];
    nk_status status = load_node(v, node, raw);
    if (status < 0)
        return status;
    if (!(raw[11] & ATTR_DIRECTORY))
        return -NK_ENOTDIR;
    uint32_t cluster = entry_cluster(v, raw);
    if ((status = check_directory_chain(v, cluster)) < 0)
        return status;
    out->fixed = false;
    out->first_cluster = cluster;
    return 0;
}

void describe(const Volume*, uint64_t position, const uint8_t* raw, nooks_fs_node* out) {
    out->number = node_number(position);
    bool directory = raw[11] & ATTR_DIRECTORY;
    out->type = directory ? NOOKS_FS_DIRECTORY : NOOKS_FS_FILE;
    out->size = directory ? 0 : nk_le32(raw + 28);
    out->reserved = 0;
    out->modified = from_dos_time(nk_le16(raw + 24), nk_le16(raw + 22));
}

} // namespace vfat
