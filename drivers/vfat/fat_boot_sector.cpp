// BPB parsing and validation. Every field is checked against the specification's rules and the
// device before any other code uses it, so later arithmetic on sectors and clusters stays in
// range and inside the device.
#include "fat_boot_sector.h"

#include <nooks/support.h>

namespace vfat {

namespace {

bool power_of_two(uint32_t value) {
    return value != 0 && (value & (value - 1)) == 0;
}

uint32_t log2_of(uint32_t value) {
    uint32_t shift = 0;
    while ((1u << shift) < value)
        ++shift;
    return shift;
}

void copy_label(const uint8_t* field, char* out) {
    memcpy(out, field, 11);
    out[11] = 0;
    for (int i = 10; i >= 0 && (out[i] == ' ' || out[i] == 0); --i)
        out[i] = 0;
    // Only printable ASCII leaves here; anything else in a label becomes '?'.
    for (int i = 0; out[i]; ++i) {
        if (uint8_t(out[i]) < 0x20 || uint8_t(out[i]) > 0x7E)
            out[i] = '?';
    }
}

} // namespace

nk_status parse_boot_sector(const uint8_t* bs, uint32_t sector_size, uint64_t device_sectors,
                            Geometry* out) {
    memset(out, 0, sizeof *out);
    // Signature 0x55 0xAA at offsets 510 and 511 (specification, "Boot Sector and BPB").
    if (bs[510] != 0x55 || bs[511] != 0xAA)
        return -NK_EINVAL;
    // BS_jmpBoot: one of the two jump forms.
    if (bs[0] != 0xEB && bs[0] != 0xE9)
        return -NK_EINVAL;
    uint32_t bytes_per_sector = nk_le16(bs + 11);
    uint32_t sectors_per_cluster = bs[13];
    uint32_t reserved = nk_le16(bs + 14);
    uint32_t fat_count = bs[16];
    uint32_t root_entries = nk_le16(bs + 17);
    uint32_t total16 = nk_le16(bs + 19);
    uint32_t fat_size16 = nk_le16(bs + 22);
    uint32_t total32 = nk_le32(bs + 32);
    uint32_t fat_size32 = nk_le32(bs + 36);

    // BPB_BytsPerSec: 512, 1024, 2048 or 4096, and the device's sector, since every transfer is
    // in device sectors.
    if (bytes_per_sector < 512 || bytes_per_sector > 4096 || !power_of_two(bytes_per_sector) ||
        bytes_per_sector != sector_size)
        return -NK_EINVAL;
    // BPB_SecPerClus: a power of two; clusters of at most 64 KiB.
    if (!power_of_two(sectors_per_cluster) || sectors_per_cluster * bytes_per_sector > 65536)
        return -NK_EINVAL;
    if (reserved < 1 || fat_count < 1)
        return -NK_EINVAL;
    uint32_t total = total16 ? total16 : total32;
    uint32_t fat_size = fat_size16 ? fat_size16 : fat_size32;
    if (total == 0 || fat_size == 0 || total > device_sectors)
        return -NK_EINVAL;
    // The root directory region of FAT12/16 (0 sectors on FAT32).
    uint32_t root_sectors = (root_entries * 32 + bytes_per_sector - 1) / bytes_per_sector;
    uint64_t data_start = uint64_t(reserved) + uint64_t(fat_count) * fat_size + root_sectors;
    if (data_start >= total)
        return -NK_EINVAL;
    uint32_t cluster_count = uint32_t((total - data_start) / sectors_per_cluster);
    if (cluster_count == 0)
        return -NK_EINVAL;

    // The FAT type is decided by the count of clusters alone (specification, "FAT Type
    // Determination"), never by the BS_FilSysType string.
    FatType type = cluster_count < 4085    ? FatType::Fat12
                   : cluster_count < 65525 ? FatType::Fat16
                                           : FatType::Fat32;
    if (type == FatType::Fat32) {
        // FAT32: BPB_FATSz16 and BPB_RootEntCnt are 0, BPB_FSVer is 0.0, at most 0x0FFFFFF5
        // clusters (the largest number below the reserved range).
        if (fat_size16 != 0 || root_entries != 0 || nk_le16(bs + 42) != 0 ||
            cluster_count > 0x0FFFFFF5)
            return -NK_EINVAL;
    } else if (root_entries == 0 || fat_size16 == 0) {
        return -NK_EINVAL;
    }
    // Every FAT must hold an entry for each cluster (and the two reserved entries), or cluster
    // numbers would index past it.
    uint64_t entries = uint64_t(cluster_count) + 2;
    uint64_t fat_bytes = type == FatType::Fat12   ? (entries * 3 + 1) / 2
                         : type == FatType::Fat16 ? entries * 2
                                                  : entries * 4;
    if (uint64_t(fat_size) * bytes_per_sector < fat_bytes)
        return -NK_EINVAL;

    out->type = type;
    out->bytes_per_sector = bytes_per_sector;
    out->sector_shift = log2_of(bytes_per_sector);
    out->sectors_per_cluster = sectors_per_cluster;
    out->cluster_size = sectors_per_cluster * bytes_per_sector;
    out->cluster_shift = log2_of(out->cluster_size);
    out->fat_start = reserved;
    out->fat_sectors = fat_size;
    out->fat_count = fat_count;
    out->root_start = reserved + fat_count * fat_size;
    out->root_sectors = root_sectors;
    out->root_entries = root_entries;
    out->data_start = uint32_t(data_start);
    out->total_sectors = total;
    out->cluster_count = cluster_count;

    const uint8_t* extended = bs + 36; // FAT12/16 extended boot record
    if (type == FatType::Fat32) {
        uint32_t root_cluster = nk_le32(bs + 44);
        if (root_cluster < 2 || root_cluster > cluster_count + 1)
            return -NK_EINVAL;
        out->root_cluster = root_cluster;
        // BPB_FSInfo: a sector of the reserved region (0 or 0xFFFF: none). Its signatures are
        // checked at mount.
        uint32_t fsinfo = nk_le16(bs + 48);
        out->fsinfo_sector = (fsinfo != 0 && fsinfo != 0xFFFF && fsinfo < reserved) ? fsinfo : 0;
        extended = bs + 64;
    }
    // BS_BootSig 0x29: BS_VolLab is present.
    if (extended[2] == 0x29)
        copy_label(extended + 7, out->label);
    return 0;
}

} // namespace vfat
