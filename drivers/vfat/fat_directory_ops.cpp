// LOOKUP, READDIR, CREATE, MKDIR, UNLINK, RMDIR and RENAME: the operations on names.
#include "fat_time.h"
#include "fat_volume_state.h"

#include <nooks/support.h>

namespace vfat {

namespace {

uint32_t directory_key(Directory directory) {
    return directory.fixed ? 0 : directory.first_cluster;
}

void forget_cursors(Volume* v) {
    memset(v->cursors, 0, sizeof v->cursors);
}

// The first cluster a ".." entry gives for `parent`: 0 for the root, FAT32's included
// (specification, "FAT Directories").
uint32_t dot_dot_cluster(const Volume* v, Directory parent) {
    if (parent.fixed || parent.first_cluster == v->geo.root_cluster)
        return 0;
    return parent.first_cluster;
}

bool is_root(const Volume* v, Directory directory) {
    return directory.fixed ||
           (v->geo.type == FatType::Fat32 && directory.first_cluster == v->geo.root_cluster);
}

void stamp(Volume* v, uint8_t* raw, bool created) {
    DosTime now = to_dos_time(v->env.now ? v->env.now() : 0);
    if (created) {
        raw[13] = 0; // tenths of a second
        nk_put_le16(raw + 14, now.time);
        nk_put_le16(raw + 16, now.date);
    }
    nk_put_le16(raw + 18, now.date);
    nk_put_le16(raw + 22, now.time);
    nk_put_le16(raw + 24, now.date);
}

// Makes the entries for `name` in `directory` with short entry fields from `raw` (attributes,
// times, cluster, size; its name and case bits are set here). Every check that can fail comes
// first: the alias, then room (growing the directory, keeping `spare` clusters free for the
// caller); only then are entries written. Positions `exclude_*` are entries that are going away
// (a rename's source and target) and do not count as taken aliases.
nk_status add_entry(Volume* v, Directory directory, const uint16_t* name, uint32_t length,
                    uint8_t* raw, uint32_t spare, uint64_t exclude_a, uint64_t exclude_b,
                    uint64_t* position) {
    ShortName basis;
    make_basis(name, length, &basis);
    nk_status status = choose_short_name(v, directory, basis, exclude_a, exclude_b, raw);
    if (status < 0)
        return status;
    raw[12] = basis.needs_long ? 0 : basis.case_bits;
    uint32_t count = basis.needs_long ? (length + 12) / 13 + 1 : 1;
    uint64_t positions[LONG_ENTRIES_MAX + 1];
    if ((status = reserve_entries(v, directory, count, spare, positions)) < 0)
        return status;
    if ((status = write_entries(v, positions, count, name, length, raw)) < 0)
        return status;
    *position = positions[count - 1];
    return 0;
}

// Whether `directory` is `ancestor` or lies below it, following ".." entries up to the root.
nk_status inside(Volume* v, Directory directory, uint32_t ancestor, bool* result) {
    *result = false;
    for (uint32_t depth = 0; depth < DIRECTORY_ENTRIES_MAX; ++depth) {
        if (is_root(v, directory))
            return 0;
        if (directory.first_cluster == ancestor) {
            *result = true;
            return 0;
        }
        uint8_t* raw;
        uint64_t dot_dot =
            (cluster_sector(v, directory.first_cluster) << v->geo.sector_shift) + ENTRY_SIZE;
        nk_status status = entry_at(v, dot_dot, &raw);
        if (status < 0)
            return status;
        if (memcmp(raw, "..         ", 11) != 0)
            return -NK_EIO;
        uint32_t parent = entry_cluster(v, raw);
        if (parent == 0)
            return 0;
        if (!cluster_valid(v, parent))
            return -NK_EIO;
        directory.first_cluster = parent;
    }
    return -NK_EIO; // deeper than any real tree: a loop of ".." entries
}

nk_status parse(Volume*, const char* name, uint16_t* out, uint32_t* length) {
    return parse_name(name, NOOKS_FS_NAME_MAX + 1, out, length);
}

} // namespace

nk_status op_lookup(Volume* v, nooks_fs_request& request) {
    Directory directory;
    nk_status status = directory_of(v, request.node, &directory);
    if (status < 0)
        return status;
    if ((status = parse(v, request.name, v->name, &v->name_length)) < 0)
        return status;
    if ((status = find_entry(v, directory, v->name, v->name_length, &v->entry)) < 0)
        return status;
    describe(v, v->entry.position, v->entry.raw, &request.result);
    return 0;
}

nk_status op_readdir(Volume* v, nooks_fs_request& request) {
    Directory directory;
    nk_status status = directory_of(v, request.node, &directory);
    if (status < 0)
        return status;
    // Continue from where the last READDIR of this directory stopped when it is at or before
    // the wanted index, so a listing reads each block once.
    uint32_t key = directory_key(directory);
    DirWalker walker;
    uint64_t visible = 0;
    walker_start(v, directory, &walker);
    ReaddirCursor* cursor = nullptr;
    for (ReaddirCursor& candidate : v->cursors) {
        if (candidate.valid && candidate.key == key) {
            cursor = &candidate;
            if (candidate.next_visible <= request.offset) {
                walker = candidate.walker;
                visible = candidate.next_visible;
            }
        }
    }
    Entry* entry = &v->entry;
    for (;;) {
        if ((status = next_entry(v, &walker, entry)) < 0)
            return status;
        if (is_dot_name(entry->raw))
            continue;
        if (visible++ == request.offset)
            break;
    }
    if (!cursor) {
        cursor = &v->cursors[v->cursor_next];
        v->cursor_next = (v->cursor_next + 1) % READDIR_CURSORS;
    }
    cursor->valid = true;
    cursor->key = key;
    cursor->next_visible = visible;
    cursor->walker = walker;
    // The long name, or the 8.3 name when there is none or it does not fit the request in
    // UTF-8 (the alias finds the same entry).
    size_t size = sizeof request.name;
    if (!entry->name_length ||
        to_utf8(entry->name, entry->name_length, request.name, size) >= size) {
        uint16_t text[12];
        uint32_t length = short_name_text(entry->raw, entry->raw[12], text);
        to_utf8(text, length, request.name, size);
    }
    describe(v, entry->position, entry->raw, &request.result);
    return 0;
}

nk_status op_create(Volume* v, nooks_fs_request& request, bool make_directory) {
    Directory directory;
    nk_status status = directory_of(v, request.node, &directory);
    if (status < 0)
        return status;
    if ((status = parse(v, request.name, v->name, &v->name_length)) < 0)
        return status;
    status = find_entry(v, directory, v->name, v->name_length, &v->entry);
    if (status == 0)
        return -NK_EEXIST;
    if (status != -NK_ENOENT)
        return status;
    forget_cursors(v);
    uint8_t raw[ENTRY_SIZE];
    memset(raw, 0, sizeof raw);
    stamp(v, raw, true);
    raw[11] = make_directory ? ATTR_DIRECTORY : ATTR_ARCHIVE;
    uint32_t cluster = 0;
    if (make_directory) {
        // A new directory: a zeroed cluster with "." (itself) and ".." (the parent), made
        // before its entry so that a failure leaves only a cluster to give back.
        if ((status = allocate_clusters(v, 1, 0, &cluster)) < 0)
            return status;
        if ((status = fresh_directory_cluster(v, cluster)) == 0) {
            uint8_t dot[ENTRY_SIZE];
            memcpy(dot, raw, ENTRY_SIZE);
            memcpy(dot, ".          ", 11);
            set_entry_cluster(dot, cluster);
            uint64_t base = cluster_sector(v, cluster) << v->geo.sector_shift;
            status = put_entry(v, base, dot);
            memcpy(dot, "..         ", 11);
            set_entry_cluster(dot, dot_dot_cluster(v, directory));
            if (status == 0)
                status = put_entry(v, base + ENTRY_SIZE, dot);
        }
        if (status < 0) {
            free_chain(v, cluster);
            return status;
        }
        set_entry_cluster(raw, cluster);
    }
    uint64_t position;
    status = add_entry(v, directory, v->name, v->name_length, raw, 0, 0, 0, &position);
    if (status < 0) {
        if (cluster)
            free_chain(v, cluster);
        return status;
    }
    describe(v, position, raw, &request.result);
    return 0;
}

nk_status op_unlink(Volume* v, nooks_fs_request& request, bool directory_wanted) {
    Directory directory;
    nk_status status = directory_of(v, request.node, &directory);
    if (status < 0)
        return status;
    if ((status = parse(v, request.name, v->name, &v->name_length)) < 0)
        return status;
    Entry* entry = &v->entry;
    if ((status = find_entry(v, directory, v->name, v->name_length, entry)) < 0)
        return status;
    bool is_directory = entry->raw[11] & ATTR_DIRECTORY;
    if (is_directory && !directory_wanted)
        return -NK_EISDIR;
    if (!is_directory && directory_wanted)
        return -NK_ENOTDIR;
    uint32_t cluster = entry_cluster(v, entry->raw);
    if (is_directory) {
        if ((status = check_directory_chain(v, cluster)) < 0)
            return status;
        Directory gone = {cluster, false};
        if (is_root(v, gone))
            return -NK_EBUSY;
        if ((status = directory_is_empty(v, gone)) < 0)
            return status;
    } else if (cluster != 0 && !cluster_valid(v, cluster)) {
        return -NK_EIO;
    }
    forget_cursors(v);
    // The chain is checked whole before anything is freed; a damaged one stays as it is.
    if (cluster && (status = free_chain(v, cluster)) < 0)
        return status;
    return delete_entries(v, entry);
}

nk_status op_rename(Volume* v, nooks_fs_request& request) {
    Directory from, to;
    nk_status status = directory_of(v, request.node, &from);
    if (status < 0)
        return status;
    if ((status = directory_of(v, request.other, &to)) < 0)
        return status;
    if ((status = parse(v, request.name, v->name, &v->name_length)) < 0)
        return status;
    if ((status = parse(v, request.other_name, v->other_name, &v->other_length)) < 0)
        return status;
    Entry* source = &v->entry;
    Entry* target = &v->target;
    if ((status = find_entry(v, from, v->name, v->name_length, source)) < 0)
        return status;
    bool source_directory = source->raw[11] & ATTR_DIRECTORY;
    uint32_t source_cluster = entry_cluster(v, source->raw);
    if (source_directory && (status = check_directory_chain(v, source_cluster)) < 0)
        return status;
    status = find_entry(v, to, v->other_name, v->other_length, target);
    bool replacing = status == 0;
    if (status < 0 && status != -NK_ENOENT)
        return status;
    uint32_t target_cluster = 0;
    if (replacing && target->position == source->position) {
        // The same entry under another spelling: nothing to do when the name is the same;
        // otherwise a new name (e.g. another case) for the entry, nothing replaced.
        if (target->name_length == v->other_length &&
            memcmp(target->name, v->other_name, v->other_length * 2) == 0) {
            describe(v, source->position, source->raw, &request.result);
            return 0;
        }
        replacing = false;
    }
    if (replacing) {
        bool target_directory = target->raw[11] & ATTR_DIRECTORY;
        if (source_directory && !target_directory)
            return -NK_ENOTDIR;
        if (!source_directory && target_directory)
            return -NK_EISDIR;
        target_cluster = entry_cluster(v, target->raw);
        // The replaced file's chain is freed last, after the entries changed: check it now.
        uint32_t length, last;
        if (!target_directory && target_cluster &&
            (status = chain_end(v, target_cluster, &length, &last)) < 0)
            return status;
        if (target_directory) {
            if ((status = check_directory_chain(v, target_cluster)) < 0)
                return status;
            if ((status = directory_is_empty(v, Directory{target_cluster, false})) < 0)
                return status;
        }
    }
    bool moving = directory_key(from) != directory_key(to);
    if (source_directory && moving) {
        // Not into itself or below itself.
        bool below;
        if ((status = inside(v, to, source_cluster, &below)) < 0)
            return status;
        if (below)
            return -NK_EINVAL;
        uint8_t* dot_dot;
        uint64_t at = (cluster_sector(v, source_cluster) << v->geo.sector_shift) + ENTRY_SIZE;
        if ((status = entry_at(v, at, &dot_dot)) < 0)
            return status;
        if (memcmp(dot_dot, "..         ", 11) != 0)
            return -NK_EIO;
    }
    forget_cursors(v);
    // The new entries first (the only step that needs room), then the old ones go.
    uint8_t raw[ENTRY_SIZE];
    memcpy(raw, source->raw, ENTRY_SIZE);
    uint64_t position;
    if ((status = add_entry(v, to, v->other_name, v->other_length, raw, 0, source->position,
                            replacing ? target->position : 0, &position)) < 0)
        return status;
    if ((status = delete_entries(v, source)) < 0)
        return status;
    if (replacing) {
        if ((status = delete_entries(v, target)) < 0)
            return status;
        if (target_cluster && (status = free_chain(v, target_cluster)) < 0)
            return status;
    }
    if (source_directory && moving) {
        uint8_t* dot_dot;
        uint64_t at = (cluster_sector(v, source_cluster) << v->geo.sector_shift) + ENTRY_SIZE;
        if ((status = entry_at(v, at, &dot_dot)) < 0)
            return status;
        uint8_t copy[ENTRY_SIZE];
        memcpy(copy, dot_dot, ENTRY_SIZE);
        set_entry_cluster(copy, dot_dot_cluster(v, to));
        if ((status = put_entry(v, at, copy)) < 0)
            return status;
    }
    describe(v, position, raw, &request.result);
    return 0;
}

} // namespace vfat
