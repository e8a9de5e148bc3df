// Mounting a FAT volume, and the dispatch of the fs class's operations. After every request the
// caches' dirty blocks and the FSInfo sector are written, so the disk holds the whole result of
// the request when it returns (fat_volume.h).
#include "fat_volume_state.h"

#include <nooks/support.h>

namespace vfat {

namespace {

// FAT blocks of 8 KiB (or one sector): a sequential walk of a 16 MiB chain of 512-byte clusters
// reads 32 such blocks on FAT16.
constexpr uint32_t FAT_BLOCK_BYTES = 8192;
constexpr uint32_t FAT_BLOCKS = 8;
// Directory blocks (clusters): 64 KiB worth, 4 to 16 of them.
constexpr uint32_t DIRECTORY_CACHE_BYTES = 65536;

// FSInfo signatures (specification, "FAT32 FSInfo Sector Structure").
constexpr uint32_t FSINFO_LEAD = 0x41615252;
constexpr uint32_t FSINFO_STRUCT = 0x61417272;
constexpr uint32_t FSINFO_TRAIL = 0xAA550000;

void release_volume(Volume* v) {
    const Environment env = v->env;
    cache_release(env, &v->fat);
    cache_release(env, &v->directory);
    if (v->sector)
        env.release(v->sector);
    if (v->zeros)
        env.release(v->zeros);
    if (v->fsinfo)
        env.release(v->fsinfo);
    env.release(v);
}

nk_status read_fsinfo(Volume* v) {
    if (v->geo.type != FatType::Fat32 || v->geo.fsinfo_sector == 0)
        return 0;
    uint8_t* sector = static_cast<uint8_t*>(v->env.allocate(v->geo.bytes_per_sector));
    if (!sector)
        return -NK_ENOMEM;
    if (v->env.read(v->env.context, v->geo.fsinfo_sector, 1, sector) < 0) {
        v->env.release(sector);
        return -NK_EIO;
    }
    // An FSInfo sector without its signatures is not one: it is then neither trusted nor
    // written.
    if (nk_le32(sector) != FSINFO_LEAD || nk_le32(sector + 484) != FSINFO_STRUCT ||
        nk_le32(sector + 508) != FSINFO_TRAIL) {
        v->env.release(sector);
        return 0;
    }
    v->fsinfo = sector;
    uint32_t hint = nk_le32(sector + 492);
    if (cluster_valid(v, hint)) {
        v->search_from = hint + 1;
        v->last_allocated = hint;
    }
    return 0;
}

nk_status flush(Volume* v) {
    // The cache slots and the FSInfo sector are not touched again before batch_end: what the
    // write-back hands over may be sent later, all at once.
    if (v->env.batch_begin)
        v->env.batch_begin(v->env.context);
    nk_status status = cache_flush(v->env, &v->directory);
    nk_status fat = fat_flush(v);
    nk_status batch = v->env.batch_end ? v->env.batch_end(v->env.context) : 0;
    return status < 0 ? status : fat < 0 ? fat : batch;
}

} // namespace

nk_status mount(const Environment& env, Volume** out, nooks_fs_node* root) {
    *out = nullptr;
    if (env.sector_size < 512 || env.sector_size > 4096 ||
        (env.sector_size & (env.sector_size - 1)) || !env.read || !env.write || !env.allocate ||
        !env.release)
        return -NK_EINVAL;
    Volume* v = static_cast<Volume*>(env.allocate(sizeof(Volume)));
    if (!v)
        return -NK_ENOMEM;
    memset(v, 0, sizeof *v);
    v->env = env;
    v->sector = static_cast<uint8_t*>(env.allocate(env.sector_size));
    if (!v->sector) {
        release_volume(v);
        return -NK_ENOMEM;
    }
    nk_status status = env.sector_count ? 0 : -NK_EINVAL;
    if (status == 0 && env.read(env.context, 0, 1, v->sector) < 0)
        status = -NK_EIO;
    if (status == 0)
        status = parse_boot_sector(v->sector, env.sector_size, env.sector_count, &v->geo);
    if (status < 0) {
        release_volume(v);
        return status;
    }
    const Geometry& g = v->geo;
    v->fat_block_sectors =
        FAT_BLOCK_BYTES > g.bytes_per_sector ? FAT_BLOCK_BYTES / g.bytes_per_sector : 1;
    uint32_t directory_blocks = DIRECTORY_CACHE_BYTES / g.cluster_size;
    directory_blocks = directory_blocks < 4 ? 4 : directory_blocks > 16 ? 16 : directory_blocks;
    v->zeros = static_cast<uint8_t*>(env.allocate(g.cluster_size));
    if (!v->zeros ||
        cache_init(env, &v->fat, FAT_BLOCKS, v->fat_block_sectors * g.bytes_per_sector, g.fat_count,
                   g.fat_sectors) < 0 ||
        cache_init(env, &v->directory, directory_blocks, g.cluster_size, 1, 0) < 0) {
        release_volume(v);
        return -NK_ENOMEM;
    }
    memset(v->zeros, 0, g.cluster_size);
    v->search_from = 2;
    if ((status = read_fsinfo(v)) < 0 || (status = count_free_clusters(v)) < 0) {
        release_volume(v);
        return status;
    }
    *root = {};
    root->number = ROOT_NODE;
    root->type = NOOKS_FS_DIRECTORY;
    *out = v;
    return 0;
}

void unmount(Volume* volume) {
    if (volume)
        release_volume(volume);
}

nk_status perform(Volume* v, nooks_fs_request& request) {
    nk_status status;
    request.transferred = 0;
    switch (request.operation) {
    case NOOKS_FS_LOOKUP:
        status = op_lookup(v, request);
        break;
    case NOOKS_FS_READ:
        status = op_read(v, request);
        break;
    case NOOKS_FS_WRITE:
        status = op_write(v, request);
        break;
    case NOOKS_FS_READDIR:
        status = op_readdir(v, request);
        break;
    case NOOKS_FS_CREATE:
        status = op_create(v, request, false);
        break;
    case NOOKS_FS_MKDIR:
        status = op_create(v, request, true);
        break;
    case NOOKS_FS_UNLINK:
        status = op_unlink(v, request, false);
        break;
    case NOOKS_FS_RMDIR:
        status = op_unlink(v, request, true);
        break;
    case NOOKS_FS_RENAME:
        status = op_rename(v, request);
        break;
    case NOOKS_FS_TRUNCATE:
        status = op_truncate(v, request);
        break;
    case NOOKS_FS_STAT:
        status = op_stat(v, request);
        break;
    case NOOKS_FS_SYNC:
        // Nothing is held dirty between requests.
        status = 0;
        break;
    case NOOKS_FS_STATFS:
        request.usage.block_size = v->geo.cluster_size;
        request.usage.total_blocks = v->geo.cluster_count;
        request.usage.free_blocks = v->free_clusters;
        status = 0;
        break;
    default:
        status = -NK_EINVAL;
        break;
    }
    nk_status written = flush(v);
    if (written < 0) {
        // The disk may now differ from what the caches and counters say: read it all again.
        cache_clear(&v->fat);
        cache_clear(&v->directory);
        chain_forget(v);
        memset(v->cursors, 0, sizeof v->cursors);
        count_free_clusters(v);
        if (status == 0)
            status = written;
    }
    return status;
}

VolumeInfo info(const Volume* v) {
    VolumeInfo out = {};
    out.type = v->geo.type;
    out.bytes_per_sector = v->geo.bytes_per_sector;
    out.cluster_size = v->geo.cluster_size;
    out.cluster_count = v->geo.cluster_count;
    out.free_clusters = v->free_clusters;
    memcpy(out.label, v->geo.label, sizeof out.label);
    return out;
}

} // namespace vfat
