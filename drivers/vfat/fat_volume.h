// The FAT file-system logic of the vfat extension, apart from the extension's glue: a mounted
// FAT12/16/32 volume with long file names that carries out the operations of the fs class
// (nooks/fs.h) on sectors it reads and writes through a BlockIo. Plain code with no kernel
// services but the ones passed in, so the host unit tests run it on image files made by
// mkfs.vfat, and the extension (vfat.cpp) runs the same code on nk_block_read/nk_block_write.
//
// Contract with the kernel's fs proxy:
//   - Node numbers come from the on-disk location: 1 is the root directory; any other node is
//     2 + (byte offset of its short directory entry on the volume) / 32. They stay the same
//     across an unmount and mount (a restart of the extension); a rename moves the entry and so
//     gives the node a new number (returned in request.result).
//   - Every request leaves the volume consistent when it returns, whether it succeeded or not:
//     all metadata the request changed (FAT entries in every FAT copy, directory entries, the
//     FAT32 FSInfo free count and next-free hint) is written through the BlockIo before the
//     request returns. The kernel commits a request's writes only when the request returns, so
//     a crash in the middle leaves the volume as it was; the Volume's own caches must then never
//     hold anything the disk does not (they are write-through).
//   - Nothing on disk is trusted: bad BPB fields, cluster numbers outside the volume, chains that
//     loop, directory entries pointing outside, sizes longer than their chains give -NK_EIO (or
//     -NK_EINVAL at mount) for that operation, never a fault, a hang, or a write that damages more.
#pragma once

#include <nooks/fs.h>
#include <nooks/types.h>

namespace vfat {

// Where the volume's sectors come from, and the services the logic needs.
struct Environment {
    void* context;
    uint32_t sector_size; // 512 .. 4096, a power of two
    uint64_t sector_count;
    // `count` sectors from `sector`; 0 or -errno.
    nk_status (*read)(void* context, uint64_t sector, uint32_t count, void* buffer);
    nk_status (*write)(void* context, uint64_t sector, uint32_t count, const void* buffer);
    // Zeroed memory, or null.
    void* (*allocate)(size_t size);
    void (*release)(void* memory);
    // Seconds since 1970-01-01 00:00 UTC, for timestamps (0 when unknown: the FAT epoch 1980).
    uint64_t (*now)();
    // Optional (null: every write goes out on its own). Between batch_begin and batch_end the
    // writes may be gathered and sent in one call; their buffers stay untouched until
    // batch_end, which returns 0 or the first error. Used for the write-back at the end of a
    // request, so that it costs one crossing, not one per block.
    void (*batch_begin)(void* context);
    nk_status (*batch_end)(void* context);
};

enum class FatType : uint8_t { Fat12 = 12, Fat16 = 16, Fat32 = 32 };

struct VolumeInfo {
    FatType type;
    uint32_t bytes_per_sector;
    uint32_t cluster_size; // bytes
    uint32_t cluster_count;
    uint32_t free_clusters;
    char label[12]; // from the boot sector, trailing spaces cut
};

class Volume;

// Reads and validates the boot sector (the BPB rules of Microsoft's FAT specification, and that
// every region lies inside the device) and fills `root`. -NK_EINVAL: not a FAT volume or a BPB
// this code refuses; -NK_ENOMEM; -NK_EIO from the device.
nk_status mount(const Environment& environment, Volume** out, nooks_fs_node* root);
// Frees the volume (writes nothing: every request already did).
void unmount(Volume* volume);
// One operation of nooks/fs.h on the volume: the request's fields in, its results out, with the
// fs class's error codes. `request.buffer` holds `request.length` bytes for READ and WRITE.
nk_status perform(Volume* volume, nooks_fs_request& request);
VolumeInfo info(const Volume* volume);

} // namespace vfat
