// File data: bytes of a cluster chain moved with one device call per run of contiguous clusters
// (the caller's buffer used directly for whole sectors; one scratch sector for a partial head
// or tail).
#include "fat_volume_state.h"

#include <nooks/support.h>

namespace vfat {

namespace {

// The most sectors one device call moves (keeps `count` well inside 32 bits).
constexpr uint32_t SECTORS_PER_CALL_MAX = 1u << 16;

// Bytes [byte, byte + length) of the device to or from `buffer` (null: zeros, writes only).
nk_status device_bytes(Volume* v, uint64_t byte, uint64_t length, uint8_t* buffer, bool write) {
    const Environment& env = v->env;
    uint32_t sector_size = v->geo.bytes_per_sector;
    uint32_t shift = v->geo.sector_shift;
    uint64_t sector = byte >> shift;
    uint32_t head = uint32_t(byte & (sector_size - 1));
    if (write) {
        // Directory blocks cached for these sectors would go stale (only a damaged volume shares
        // clusters between a directory and a file, but the cache must not lie then either).
        uint64_t sectors = (head + length + sector_size - 1) >> shift;
        if (cache_forget(env, &v->directory, sector, sectors) < 0)
            return -NK_EIO;
    }
    // A partial sector: read, patch, write back.
    auto partial = [&](uint32_t offset, uint32_t count) -> nk_status {
        if (env.read(env.context, sector, 1, v->sector) < 0)
            return -NK_EIO;
        if (!write) {
            memcpy(buffer, v->sector + offset, count);
        } else {
            if (buffer)
                memcpy(v->sector + offset, buffer, count);
            else
                memset(v->sector + offset, 0, count);
            if (env.write(env.context, sector, 1, v->sector) < 0)
                return -NK_EIO;
        }
        return 0;
    };
    if (head || length < sector_size) {
        uint32_t count = sector_size - head;
        if (count > length)
            count = uint32_t(length);
        nk_status status = partial(head, count);
        if (status < 0)
            return status;
        if (buffer)
            buffer += count;
        length -= count;
        ++sector;
    }
    while (length >= sector_size) {
        uint64_t sectors = length >> shift;
        if (sectors > SECTORS_PER_CALL_MAX)
            sectors = SECTORS_PER_CALL_MAX;
        nk_status status;
        if (!write) {
            status = env.read(env.context, sector, uint32_t(sectors), buffer);
        } else if (buffer) {
            status = env.write(env.context, sector, uint32_t(sectors), buffer);
        } else {
            uint64_t zero_sectors = v->geo.cluster_size >> shift;
            if (sectors > zero_sectors)
                sectors = zero_sectors;
            status = env.write(env.context, sector, uint32_t(sectors), v->zeros);
        }
        if (status < 0)
            return -NK_EIO;
        if (buffer)
            buffer += sectors << shift;
        length -= sectors << shift;
        sector += sectors;
    }
    if (length)
        return partial(0, uint32_t(length));
    return 0;
}

// Bytes [byte, byte + length) of the device go in the request's data map, merged with the run
// before when they follow it. False when the map is full.
bool map_bytes(Volume* v, uint64_t byte, uint64_t length, bool write) {
    nooks_fs_request* request = v->mapping;
    if (write) {
        // As device_bytes: no cached directory block may go stale under the kernel's write.
        uint32_t shift = v->geo.sector_shift;
        uint64_t head = byte & (v->geo.bytes_per_sector - 1);
        uint64_t sectors = (head + length + v->geo.bytes_per_sector - 1) >> shift;
        if (cache_forget(v->env, &v->directory, byte >> shift, sectors) < 0)
            return false;
    }
    if (request->data_count) {
        nooks_fs_data_extent& last = request->data[request->data_count - 1];
        if (last.device_byte + last.length == byte) {
            last.length += length;
            return true;
        }
    }
    if (request->data_count == NOOKS_FS_DATA_EXTENTS_MAX)
        return false;
    request->data[request->data_count++] = {byte, length};
    return true;
}

} // namespace

nk_status transfer(Volume* v, uint32_t first, uint64_t offset, uint64_t length, uint8_t* buffer,
                   bool write, uint64_t* done) {
    *done = 0;
    if (length == 0)
        return 0;
    const Geometry& g = v->geo;
    uint64_t cluster_index = offset >> g.cluster_shift;
    if (cluster_index >= g.cluster_count)
        return 0; // past any chain the volume can hold
    uint32_t cluster;
    nk_status status = chain_seek(v, first, uint32_t(cluster_index), &cluster);
    if (status == -NK_ENOENT)
        return 0;
    if (status < 0)
        return status;
    uint32_t in_cluster = uint32_t(offset & (g.cluster_size - 1));
    uint32_t index = uint32_t(cluster_index);
    for (;;) {
        // The run of contiguous clusters from `cluster`, as long as the request needs.
        uint32_t last = cluster;
        uint32_t last_index = index;
        uint64_t available = g.cluster_size - in_cluster;
        uint32_t following = 0;
        nk_status link = 0;
        while (available < length) {
            uint32_t next;
            link = fat_next(v, last, &next);
            if (link < 0 || next == 0)
                break;
            if (last_index + 2 > g.cluster_count) {
                link = -NK_EIO; // a loop
                break;
            }
            if (next != last + 1) {
                following = next;
                break;
            }
            last = next;
            ++last_index;
            available += g.cluster_size;
        }
        uint64_t chunk = available < length ? available : length;
        uint64_t byte = (cluster_sector(v, cluster) << g.sector_shift) + in_cluster;
        if (v->mapping) {
            if (!map_bytes(v, byte, chunk, write))
                return 0; // the map is full: a short transfer, the rest in the next request
        } else if ((status = device_bytes(v, byte, chunk, buffer, write)) < 0) {
            return status;
        }
        *done += chunk;
        length -= chunk;
        if (buffer)
            buffer += chunk;
        chain_remember(v, first, last_index, last);
        if (length == 0)
            return 0;
        if (link < 0)
            return link;
        if (following == 0)
            return 0; // the chain ends here
        if (last_index + 2 > g.cluster_count)
            return -NK_EIO;
        cluster = following;
        index = last_index + 1;
        chain_remember(v, first, index, cluster);
        in_cluster = 0;
    }
}

} // namespace vfat
