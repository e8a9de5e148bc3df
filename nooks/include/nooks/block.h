/* The block-driver class: a driver registers one device per disk; the kernel's block layer
 * calls its transfer operation (through a crossing when the driver is isolated). File-system
 * extensions use the other half: they open a registered device by name and read and write
 * sectors. */
#pragma once

#include <nooks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum nooks_block_operation {
    NOOKS_BLOCK_READ = 0,
    NOOKS_BLOCK_WRITE = 1,
    NOOKS_BLOCK_FLUSH = 2,
};

/* One request: `count` sectors from `sector`, into or out of `buffer` (count * sector size
 * bytes, in the driver's memory for the duration of the call). The kernel has checked the range
 * against the device's size. */
struct nooks_block_request {
    uint64_t sector;
    uint32_t count;
    uint32_t operation; /* enum nooks_block_operation */
    void* buffer;
};

struct nooks_block_ops {
    /* Carries out the request before returning. 0 or -errno (-NK_EIO for a device error). */
    nk_status (*transfer)(void* device, struct nooks_block_request* request);
};

struct nooks_block_device_info {
    char name[16];        /* "hda", "ram0" */
    uint32_t sector_size; /* 512 .. 4096, a power of two */
    uint32_t reserved;
    uint64_t sector_count;
};

/* As for network devices: ops and `device` stay valid until nk_blkdev_unregister, which also
 * happens on its own when the driver crashes or is unloaded. */
nk_status nk_blkdev_register(const struct nooks_block_device_info* info,
                             const struct nooks_block_ops* ops, void* device,
                             nk_blkdev_handle* out);
void nk_blkdev_unregister(nk_blkdev_handle handle);

/* A transfer window for a registered device: memory the kernel gives the driver for the device's
 * data — in the driver's memory, physically contiguous below 4 GiB so a DMA engine can reach it
 * at `bus_address`. The kernel then hands every transfer of at most `bytes` to an isolated
 * driver with its data in the window (request.buffer inside it), so a driver that moves data
 * by DMA straight to and from its window copies nothing itself. `bytes` is rounded up to whole
 * pages, at most 1 MiB. The window lasts as long as the registration; asked again, the same
 * window comes back. */
struct nooks_block_window {
    void* buffer;
    uint64_t bus_address;
    uint64_t bytes;
};
nk_status nk_blkdev_window(nk_blkdev_handle handle, uint64_t bytes, struct nooks_block_window* out);

/* The client side (file systems): a registered device by name, its geometry, and transfers into
 * or out of the caller's memory. */
nk_status nk_block_open(const char* name, struct nooks_block_device_info* info,
                        nk_block_handle* out);
nk_status nk_block_read(nk_block_handle handle, uint64_t sector, uint32_t count, void* buffer);
nk_status nk_block_write(nk_block_handle handle, uint64_t sector, uint32_t count,
                         const void* buffer);
void nk_block_close(nk_block_handle handle);

/* Several writes in one call — a file system writing back what one request changed (directory
 * blocks, every FAT copy, FSInfo) crosses the boundary once instead of once per block. Applied in
 * order; 0, or the first error (the writes before it stay done). */
#define NOOKS_BLOCK_EXTENTS_MAX 16
struct nooks_block_extent {
    uint64_t sector;
    uint32_t count;
    uint32_t reserved;
    const void* buffer;
};
nk_status nk_block_write_extents(nk_block_handle handle, const struct nooks_block_extent* extents,
                                 uint32_t count);

#ifdef __cplusplus
}
#endif
