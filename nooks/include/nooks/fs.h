/* The file-system class: an extension registers a file-system type by name ("vfat"); mounting
 * it on a block device gives the kernel a volume whose files and directories it reaches through
 * the operations below, each naming a node by its number (stable for the life of the mount, so
 * the kernel's inodes survive a restart of the extension). Data moves through buffers in the
 * extension's memory. */
#pragma once

#include <nooks/block.h>
#include <nooks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NOOKS_FS_NAME_MAX 255

enum nooks_fs_node_type {
    NOOKS_FS_FILE = 1,
    NOOKS_FS_DIRECTORY = 2,
};

struct nooks_fs_node {
    uint64_t number;
    uint64_t size;
    uint32_t type; /* enum nooks_fs_node_type */
    uint32_t reserved;
    uint64_t modified; /* seconds since 1970 */
};

enum nooks_fs_operation {
    NOOKS_FS_LOOKUP = 0,   /* node/name -> result */
    NOOKS_FS_READ = 1,     /* node, offset, length, buffer -> transferred */
    NOOKS_FS_WRITE = 2,    /* node, offset, length, buffer -> transferred, result (new size) */
    NOOKS_FS_READDIR = 3,  /* node, offset (entry index) -> result, name; -NK_ENOENT past the end */
    NOOKS_FS_CREATE = 4,   /* node/name -> result */
    NOOKS_FS_MKDIR = 5,    /* node/name -> result */
    NOOKS_FS_UNLINK = 6,   /* node/name */
    NOOKS_FS_RMDIR = 7,    /* node/name */
    NOOKS_FS_RENAME = 8,   /* node/name -> other/other_name */
    NOOKS_FS_TRUNCATE = 9, /* node, offset (new length) */
    NOOKS_FS_STAT = 10,    /* node -> result */
    NOOKS_FS_SYNC = 11,    /* write back everything cached */
    NOOKS_FS_STATFS = 12,  /* -> usage */
    NOOKS_FS_OPERATION_COUNT = 13,
};

/* Space on the volume, in its allocation unit (a FAT cluster). */
struct nooks_fs_usage {
    uint64_t block_size;
    uint64_t total_blocks;
    uint64_t free_blocks;
};

/* Where a run of a file's bytes lies on the device (NOOKS_FS_MAPS_DATA). */
#define NOOKS_FS_DATA_EXTENTS_MAX 16
struct nooks_fs_data_extent {
    uint64_t device_byte;
    uint64_t length;
};

struct nooks_fs_request {
    uint32_t operation; /* enum nooks_fs_operation */
    uint32_t reserved;
    uint64_t node;
    uint64_t offset;
    uint64_t length;
    void* buffer;
    uint64_t other;
    char name[NOOKS_FS_NAME_MAX + 1];
    char other_name[NOOKS_FS_NAME_MAX + 1];
    /* The wall-clock time of the request (seconds since 1970, 0 when unknown), for timestamps:
     * a file system need not ask the kernel for it. */
    uint64_t time;
    /* Filled in by the file system. */
    uint64_t transferred;
    struct nooks_fs_node result;
    struct nooks_fs_usage usage; /* NOOKS_FS_STATFS */
    /* Optional: writes the kernel makes for the file system when the request returns normally
     * (the write-back of what it changed), instead of a call during it — one crossing fewer per
     * request. On `writeback_device` (a handle from nk_block_open), in order, in the same unit
     * as the request's other writes; each buffer in the file system's memory, untouched until
     * the request has returned. */
    nk_block_handle writeback_device;
    uint32_t writeback_count; /* at most NOOKS_BLOCK_EXTENTS_MAX */
    uint32_t reserved2;
    struct nooks_block_extent writeback[NOOKS_BLOCK_EXTENTS_MAX];
    /* READ and WRITE of a file system with NOOKS_FS_MAPS_DATA: `buffer` is null and the file
     * system moves no file bytes. It does the rest (checks, allocation, the new size, zeros for a
     * gap) and says where bytes [offset, offset + transferred) lie on `data_device`: `data`, in
     * file order, lengths adding up to `transferred`. The kernel moves the bytes between the
     * caller and its block cache — for a write inside the request's unit, after the write-back.
     * So file data never crosses the boundary, and a request costs one crossing however large. */
    nk_block_handle data_device;
    uint32_t data_count; /* at most NOOKS_FS_DATA_EXTENTS_MAX */
    uint32_t reserved3;
    struct nooks_fs_data_extent data[NOOKS_FS_DATA_EXTENTS_MAX];
};

struct nooks_fs_ops {
    /* Mounts the volume on the block device named `device` (open it with nk_block_open); fills
     * `root` and returns 0, or -errno (-NK_EINVAL: not this file system). `volume` receives the
     * extension's context for the mount, passed back to every other op. */
    nk_status (*mount)(const char* device, void** volume, struct nooks_fs_node* root);
    /* Writes back and releases the volume. */
    void (*unmount)(void* volume);
    /* One operation on the volume. 0 or -errno (-NK_ENOENT, -NK_EEXIST, -NK_ENOTDIR, -NK_EISDIR,
     * -NK_ENOTEMPTY, -NK_ENOSPC, -NK_EIO...). */
    nk_status (*request)(void* volume, struct nooks_fs_request* request);
    uint32_t features; /* NOOKS_FS_MAPS_DATA */
    uint32_t reserved;
};

/* nooks_fs_ops.features: READ and WRITE answer with where the data lies (nooks_fs_request.data)
 * instead of moving it. */
#define NOOKS_FS_MAPS_DATA 1u

nk_status nk_fs_register(const char* name, const struct nooks_fs_ops* ops, nk_fs_handle* out);
void nk_fs_unregister(nk_fs_handle handle);

#ifdef __cplusplus
}
#endif
