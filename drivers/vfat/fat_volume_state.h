// The inside of a mounted volume, shared by the fat_*.cpp files: geometry, caches, the free
// cluster count, and the workspace that keeps large buffers off the (small) extension stack.
#pragma once

#include "fat_boot_sector.h"
#include "fat_cache.h"
#include "fat_names.h"
#include "fat_volume.h"

namespace vfat {

// Directory entry fields (specification, "Directory Structure").
constexpr uint32_t ENTRY_SIZE = 32;
constexpr uint8_t ATTR_READ_ONLY = 0x01;
constexpr uint8_t ATTR_HIDDEN = 0x02;
constexpr uint8_t ATTR_SYSTEM = 0x04;
constexpr uint8_t ATTR_VOLUME_ID = 0x08;
constexpr uint8_t ATTR_DIRECTORY = 0x10;
constexpr uint8_t ATTR_ARCHIVE = 0x20;
constexpr uint8_t ATTR_LONG_NAME = 0x0F;
constexpr uint8_t ENTRY_FREE = 0xE5;
// A directory holds at most 65536 entries (specification, "FAT Directories": 2 MiB).
constexpr uint32_t DIRECTORY_ENTRIES_MAX = 65536;
constexpr uint32_t FILE_SIZE_MAX = 0xFFFFFFFFu;
constexpr uint64_t ROOT_NODE = 1;

// A directory: the fixed root region of FAT12/16, or a cluster chain.
struct Directory {
    uint32_t first_cluster; // 0 for the fixed root
    bool fixed;
};

// A position in a directory, walked entry by entry.
struct DirWalker {
    Directory directory;
    uint32_t index;         // entry index in the directory
    uint32_t cluster;       // the cluster holding `index` (chains)
    uint32_t cluster_index; // its index in the chain
};

// One live entry of a directory: its short entry, and its long name when it has a valid one.
struct Entry {
    uint8_t raw[ENTRY_SIZE];
    uint64_t position; // byte offset of the short entry on the volume
    uint32_t long_count;
    uint64_t long_positions[LONG_ENTRIES_MAX];
    uint32_t name_length; // 0: no long name
    uint16_t name[LONG_ENTRIES_MAX * 13];
};

// Where in a file chain the last transfer stopped, so sequential I/O does not walk from the
// start each time.
struct ChainPosition {
    uint32_t first;
    uint32_t index;
    uint32_t cluster;
    uint32_t length; // clusters in the whole chain, checked; 0: not known
    uint32_t last;   // its last cluster, when `length` is known
};

// Where the last READDIR of a directory stopped (entry index `next_visible` is at `walker`).
struct ReaddirCursor {
    bool valid;
    uint32_t key; // Directory first cluster (0: the fixed root)
    uint64_t next_visible;
    DirWalker walker;
};

constexpr uint32_t CHAIN_POSITIONS = 8;
constexpr uint32_t READDIR_CURSORS = 4;
constexpr uint32_t TAIL_NUMBERS = 65536;

struct Volume {
    Environment env;
    Geometry geo;
    SectorCache fat;       // blocks of the first FAT, written to every copy
    SectorCache directory; // directory clusters / blocks of the fixed root
    uint32_t fat_block_sectors;
    uint8_t* sector; // one sector, for unaligned heads and tails of data transfers
    uint8_t* zeros;  // a cluster of zeros
    uint8_t* fsinfo; // the FAT32 FSInfo sector when it is valid, else null
    // Set while a READ or WRITE of the kernel's data map runs (NOOKS_FS_MAPS_DATA): the data
    // transfer records where the bytes lie instead of moving them.
    nooks_fs_request* mapping;
    bool fsinfo_changed;
    uint32_t free_clusters;
    uint32_t search_from; // where the next free-cluster search starts
    uint32_t last_allocated;
    ChainPosition positions[CHAIN_POSITIONS];
    uint32_t position_next;
    ReaddirCursor cursors[READDIR_CURSORS];
    uint32_t cursor_next;
    // Workspace.
    uint16_t name[LONG_NAME_MAX + 1];
    uint32_t name_length;
    uint16_t other_name[LONG_NAME_MAX + 1];
    uint32_t other_length;
    Entry entry;  // what a scan finds
    Entry target; // a second entry (RENAME's target)
    Entry scan;   // the scanner's own
    uint8_t tails[TAIL_NUMBERS / 8];
};

// fat_table.cpp: FAT entries, chains, allocation, FSInfo.
bool cluster_valid(const Volume* v, uint32_t cluster);
uint64_t cluster_sector(const Volume* v, uint32_t cluster);
nk_status fat_get(Volume* v, uint32_t cluster, uint32_t* value);
nk_status fat_set(Volume* v, uint32_t cluster, uint32_t value);
// The cluster after `cluster` in its chain: 0 at the end of the chain, -NK_EIO for a free, bad,
// reserved or out-of-range entry.
nk_status fat_next(Volume* v, uint32_t cluster, uint32_t* next);
nk_status count_free_clusters(Volume* v);
// `count` free clusters as a chain, linked after `tail` (0: a new chain); the first in `*first`.
// -NK_ENOSPC (nothing allocated) when fewer are free.
nk_status allocate_clusters(Volume* v, uint32_t count, uint32_t tail, uint32_t* first);
// Frees the chain from `first`, after checking all of it (a bad chain is left alone: -NK_EIO).
nk_status free_chain(Volume* v, uint32_t first);
// Keeps the first `keep` (>= 1) clusters of the chain and frees the rest.
nk_status cut_chain(Volume* v, uint32_t first, uint32_t keep);
// The cluster with index `index` in the chain from `first`: -NK_ENOENT when the chain is shorter.
nk_status chain_seek(Volume* v, uint32_t first, uint32_t index, uint32_t* cluster);
// The length of the chain from `first` and its last cluster, the whole chain checked (a bad
// link or a loop: -NK_EIO). Remembered until the chain changes.
nk_status chain_end(Volume* v, uint32_t first, uint32_t* length, uint32_t* last);
// Records the length and last cluster of a chain just extended by this code (the position of
// the last transfer stays).
void chain_known_end(Volume* v, uint32_t first, uint32_t length, uint32_t last);
// A directory's chain checked whole: valid links, ending within the 65536 entries a directory
// may have.
nk_status check_directory_chain(Volume* v, uint32_t first);
void chain_remember(Volume* v, uint32_t first, uint32_t index, uint32_t cluster);
void chain_forget(Volume* v);
// Writes the dirty FAT blocks and the FSInfo sector.
nk_status fat_flush(Volume* v);

// fat_directory.cpp: entries, scans, long names.
uint32_t entry_cluster(const Volume* v, const uint8_t* raw);
void set_entry_cluster(uint8_t* raw, uint32_t cluster);
nk_status entry_at(Volume* v, uint64_t position, uint8_t** raw);
nk_status put_entry(Volume* v, uint64_t position, const uint8_t* raw);
nk_status fresh_directory_cluster(Volume* v, uint32_t cluster);
void walker_start(const Volume* v, Directory directory, DirWalker* walker);
nk_status walker_position(Volume* v, DirWalker* walker, uint64_t* position);
nk_status next_entry(Volume* v, DirWalker* walker, Entry* entry);
nk_status find_entry(Volume* v, Directory directory, const uint16_t* name, uint32_t length,
                     Entry* out);
nk_status directory_is_empty(Volume* v, Directory directory);
nk_status choose_short_name(Volume* v, Directory directory, const ShortName& basis,
                            uint64_t exclude_a, uint64_t exclude_b, uint8_t out[11]);
// Room for `count` consecutive entries, growing the directory if needed (with `spare` more
// free clusters left for the caller). positions[] receives their byte offsets.
nk_status reserve_entries(Volume* v, Directory directory, uint32_t count, uint32_t spare,
                          uint64_t* positions);
// Writes a long name's entries and the short entry `raw` at `positions` (count = long entries
// + 1).
nk_status write_entries(Volume* v, const uint64_t* positions, uint32_t count, const uint16_t* name,
                        uint32_t length, const uint8_t* raw);
nk_status delete_entries(Volume* v, const Entry* entry);
nk_status load_node(Volume* v, uint64_t node, uint8_t* raw);
nk_status directory_of(Volume* v, uint64_t node, Directory* out);
void describe(const Volume* v, uint64_t position, const uint8_t* raw, nooks_fs_node* out);
uint64_t node_number(uint64_t position);

// fat_data.cpp: file data.
// Moves bytes [offset, offset + length) of the chain from `first` to or from `buffer` (a null
// buffer writes zeros) — or, while v->mapping is set, appends where they lie to its data map.
// Stops at the chain's end or when the map is full; *done says how far it got.
nk_status transfer(Volume* v, uint32_t first, uint64_t offset, uint64_t length, uint8_t* buffer,
                   bool write, uint64_t* done);

// fat_file_ops.cpp, fat_directory_ops.cpp: the operations.
nk_status op_read(Volume* v, nooks_fs_request& request);
nk_status op_write(Volume* v, nooks_fs_request& request);
nk_status op_truncate(Volume* v, nooks_fs_request& request);
nk_status op_stat(Volume* v, nooks_fs_request& request);
nk_status op_lookup(Volume* v, nooks_fs_request& request);
nk_status op_readdir(Volume* v, nooks_fs_request& request);
nk_status op_create(Volume* v, nooks_fs_request& request, bool directory);
nk_status op_unlink(Volume* v, nooks_fs_request& request, bool directory);
nk_status op_rename(Volume* v, nooks_fs_request& request);

} // namespace vfat
