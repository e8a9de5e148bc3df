// vfat: the FAT12/16/32 file system with long names, an extension of the fs class. This file
// is only the glue: it registers the "vfat" type and binds each mount's logic (fat_volume.h) to
// the block device the kernel names, through nk_block_read/nk_block_write. The kernel's fs
// proxy does the rest — a crossing per request, the request's writes held until it returns,
// the volume mounted again after a restart.
#include "fat_volume.h"

#include <nooks/block.h>
#include <nooks/extension.h>
#include <nooks/fs.h>
#include <nooks/kernel_api.h>
#include <nooks/support.h>

namespace {

struct Mount {
    vfat::Environment environment;
    nk_block_handle block;
    vfat::Volume* volume;
    // Writes gathered between batch_begin and batch_end (the end of a request's write-back):
    // one nk_block_write_extents call for all of them.
    bool batching;
    uint32_t pending;
    nooks_block_extent extents[NOOKS_BLOCK_EXTENTS_MAX];
};

nk_fs_handle g_registration = nullptr;
// The time of the request being carried out (the kernel passes it in; requests to a volume come
// one at a time).
uint64_t g_request_time = 0;
// The request being carried out: its write-back goes back with it (nooks_fs_request.writeback)
// rather than through a call into the kernel.
nooks_fs_request* g_request = nullptr;

nk_status read_sectors(void* context, uint64_t sector, uint32_t count, void* buffer) {
    return nk_block_read(static_cast<Mount*>(context)->block, sector, count, buffer);
}

nk_status submit(Mount* mount) {
    nk_status status = 0;
    if (mount->pending)
        status = nk_block_write_extents(mount->block, mount->extents, mount->pending);
    mount->pending = 0;
    return status;
}

nk_status write_sectors(void* context, uint64_t sector, uint32_t count, const void* buffer) {
    auto* mount = static_cast<Mount*>(context);
    if (!mount->batching)
        return nk_block_write(mount->block, sector, count, buffer);
    if (mount->pending == NOOKS_BLOCK_EXTENTS_MAX) {
        if (nk_status status = submit(mount); status < 0)
            return status;
    }
    mount->extents[mount->pending++] = {sector, count, 0, buffer};
    return 0;
}

void batch_begin(void* context) {
    auto* mount = static_cast<Mount*>(context);
    mount->batching = true;
    mount->pending = 0;
}

nk_status batch_end(void* context) {
    auto* mount = static_cast<Mount*>(context);
    mount->batching = false;
    if (g_request && mount->pending) {
        // The buffers (cache blocks, FSInfo) stay untouched until the next request: the kernel
        // makes these writes as the request returns.
        g_request->writeback_device = mount->block;
        memcpy(g_request->writeback, mount->extents, mount->pending * sizeof(nooks_block_extent));
        g_request->writeback_count = mount->pending;
        mount->pending = 0;
        return 0;
    }
    return submit(mount);
}

void* allocate(size_t size) {
    return nk_zalloc(size);
}

uint64_t now() {
    return g_request_time;
}

nk_status mount(const char* device, void** volume, nooks_fs_node* root) {
    auto* mount = static_cast<Mount*>(nk_zalloc(sizeof(Mount)));
    if (!mount)
        return -NK_ENOMEM;
    nooks_block_device_info info = {};
    nk_status opened = nk_block_open(device, &info, &mount->block);
    if (opened < 0) {
        nk_free(mount);
        return opened;
    }
    mount->environment = {mount,         info.sector_size, info.sector_count, read_sectors,
                          write_sectors, allocate,         nk_free,           now,
                          batch_begin,   batch_end};
    nk_status mounted = vfat::mount(mount->environment, &mount->volume, root);
    if (mounted < 0) {
        nk_block_close(mount->block);
        nk_free(mount);
        return mounted;
    }
    vfat::VolumeInfo volume_info = vfat::info(mount->volume);
    nk_log("%s: FAT%u volume '%s', %u clusters of %u bytes, %u free\n", device,
           unsigned(volume_info.type), volume_info.label, volume_info.cluster_count,
           volume_info.cluster_size, volume_info.free_clusters);
    *volume = mount;
    return 0;
}

void unmount(void* volume) {
    auto* mount = static_cast<Mount*>(volume);
    vfat::unmount(mount->volume);
    nk_block_close(mount->block);
    nk_free(mount);
}

nk_status request(void* volume, nooks_fs_request* request) {
    g_request_time = request->time;
    g_request = request;
    request->writeback_count = 0;
    request->data_count = 0;
    request->data_device = static_cast<Mount*>(volume)->block;
    nk_status status = vfat::perform(static_cast<Mount*>(volume)->volume, *request);
    g_request = nullptr;
    return status;
}

const nooks_fs_ops g_ops = {mount, unmount, request, NOOKS_FS_MAPS_DATA, 0};

nk_status vfat_init() {
    return nk_fs_register("vfat", &g_ops, &g_registration);
}

void vfat_exit() {
    if (g_registration)
        nk_fs_unregister(g_registration);
    g_registration = nullptr;
}

} // namespace

NOOKS_MODULE("vfat", NOOKS_CLASS_FS, vfat_init, vfat_exit, &g_ops);
