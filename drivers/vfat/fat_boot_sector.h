// The boot sector's BIOS parameter block: where the regions of a FAT volume are, and which FAT
// type it is (Microsoft's FAT specification, "Boot Sector and BPB", "FAT Data Structure").
#pragma once

#include "fat_volume.h"

namespace vfat {

struct Geometry {
    FatType type;
    uint32_t bytes_per_sector;
    uint32_t sector_shift; // log2(bytes_per_sector)
    uint32_t sectors_per_cluster;
    uint32_t cluster_size; // bytes
    uint32_t cluster_shift;
    uint32_t fat_start;   // first sector of the first FAT
    uint32_t fat_sectors; // sectors of one FAT
    uint32_t fat_count;
    uint32_t root_start;   // FAT12/16: the fixed root directory region
    uint32_t root_sectors; // FAT12/16; 0 on FAT32
    uint32_t root_entries; // FAT12/16
    uint32_t root_cluster; // FAT32
    uint32_t data_start;   // first sector of cluster 2
    uint32_t total_sectors;
    uint32_t cluster_count; // clusters 2 .. cluster_count + 1 exist
    uint32_t fsinfo_sector; // FAT32; 0 when there is none
    char label[12];
};

// Checks the boot sector in `sector` (`sector_size` bytes, the device's) for a device of
// `device_sectors` sectors and fills `out`. -NK_EINVAL for anything this code refuses.
nk_status parse_boot_sector(const uint8_t* sector, uint32_t sector_size, uint64_t device_sectors,
                            Geometry* out);

} // namespace vfat
