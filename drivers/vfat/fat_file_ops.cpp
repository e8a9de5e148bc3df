// READ, WRITE, TRUNCATE and STAT: a file is its short entry (size, first cluster, times) and its
// cluster chain. FAT has no holes, so growing a file writes zeros up to the new data.
#include "fat_time.h"
#include "fat_volume_state.h"

#include <nooks/support.h>

namespace vfat {

namespace {

struct File {
    uint64_t position; // of the short entry
    uint8_t raw[ENTRY_SIZE];
    uint32_t size;
    uint32_t first;  // 0: no clusters
    uint32_t length; // clusters in the chain
    uint32_t last;   // last cluster of the chain
};

// The file named by `node` with its chain checked: a first cluster outside the volume or a
// chain that is bad or loops are -NK_EIO; so is a size the chain cannot hold when `writing` (a
// damaged file is not written; it is read only as far as its chain goes).
nk_status open_file(Volume* v, uint64_t node, File* file, bool writing) {
    if (node == ROOT_NODE)
        return -NK_EISDIR;
    nk_status status = load_node(v, node, file->raw);
    if (status < 0)
        return status;
    if (file->raw[11] & ATTR_DIRECTORY)
        return -NK_EISDIR;
    file->position = (node - 2) * ENTRY_SIZE;
    file->size = nk_le32(file->raw + 28);
    file->first = entry_cluster(v, file->raw);
    file->length = 0;
    file->last = 0;
    if (file->first == 0)
        return file->size == 0 || !writing ? 0 : -NK_EIO;
    if ((status = chain_end(v, file->first, &file->length, &file->last)) < 0)
        return status;
    if (writing && uint64_t(file->length) << v->geo.cluster_shift < file->size)
        return -NK_EIO;
    return 0;
}

uint32_t clusters_for(const Volume* v, uint64_t bytes) {
    return uint32_t((bytes + v->geo.cluster_size - 1) >> v->geo.cluster_shift);
}

// The file's entry with its new size and first cluster, modified now.
nk_status update_file(Volume* v, File* file, uint32_t size) {
    DosTime now = to_dos_time(v->env.now ? v->env.now() : 0);
    nk_put_le32(file->raw + 28, size);
    set_entry_cluster(file->raw, file->first);
    nk_put_le16(file->raw + 22, now.time);
    nk_put_le16(file->raw + 24, now.date);
    nk_put_le16(file->raw + 18, now.date); // last access
    file->raw[11] |= ATTR_ARCHIVE;
    file->size = size;
    return put_entry(v, file->position, file->raw);
}

// Adds `count` clusters to the end of the file's chain.
nk_status extend(Volume* v, File* file, uint32_t count) {
    // The transfer that follows starts at the old end: seek from there, not from the start.
    if (file->first)
        chain_remember(v, file->first, file->length - 1, file->last);
    uint32_t added;
    nk_status status = allocate_clusters(v, count, file->last, &added);
    if (status < 0)
        return status;
    if (!file->first)
        file->first = added;
    file->length += count;
    file->last = v->last_allocated;
    // Remember the new end so the next write does not walk the chain again.
    chain_known_end(v, file->first, file->length, file->last);
    return 0;
}

// Shrinks the chain back to what `size` needs (after a write that could not use all it got).
nk_status trim(Volume* v, File* file, uint32_t size) {
    uint32_t keep = clusters_for(v, size);
    if (keep >= file->length)
        return 0;
    nk_status status;
    if (keep == 0) {
        status = free_chain(v, file->first);
        file->first = 0;
    } else {
        status = cut_chain(v, file->first, keep);
    }
    file->length = keep;
    return status;
}

} // namespace

nk_status op_read(Volume* v, nooks_fs_request& request) {
    File file;
    nk_status status = open_file(v, request.node, &file, false);
    if (status < 0)
        return status;
    if (request.offset >= file.size || request.length == 0)
        return 0;
    uint64_t length = file.size - request.offset;
    if (length > request.length)
        length = request.length;
    if (!file.first)
        return -NK_EIO; // a size without clusters
    uint64_t done;
    v->mapping = request.buffer ? nullptr : &request;
    status = transfer(v, file.first, request.offset, length, static_cast<uint8_t*>(request.buffer),
                      false, &done);
    v->mapping = nullptr;
    request.transferred = done;
    // A damaged chain: what could be read is returned; nothing readable is an error. Never zeros
    // or other clusters past the chain's end.
    if (done == 0)
        return status < 0 ? status : -NK_EIO;
    return 0;
}

nk_status op_write(Volume* v, nooks_fs_request& request) {
    File file;
    nk_status status = open_file(v, request.node, &file, true);
    if (status < 0)
        return status;
    uint64_t offset = request.offset;
    uint64_t end;
    if (nk_add_overflow(offset, request.length, &end) || end > FILE_SIZE_MAX)
        end = FILE_SIZE_MAX; // FAT files end at 4 GiB - 1
    if (request.length == 0) {
        describe(v, file.position, file.raw, &request.result);
        return 0;
    }
    if (offset >= FILE_SIZE_MAX)
        return -NK_EINVAL;
    // Clusters the file needs for its zero-filled gap and the data; on a full volume, as many
    // as there are (the write is then short).
    uint64_t needed_end = end > file.size ? end : file.size;
    uint32_t needed = clusters_for(v, needed_end);
    uint32_t adding = needed > file.length ? needed - file.length : 0;
    if (adding > v->free_clusters) {
        adding = v->free_clusters;
        uint64_t capacity = uint64_t(file.length + adding) << v->geo.cluster_shift;
        if (capacity <= offset)
            return -NK_ENOSPC;
        end = capacity < end ? capacity : end;
    }
    uint32_t old_size = file.size;
    uint32_t old_length = file.length;
    if (adding && (status = extend(v, &file, adding)) < 0)
        return status;
    uint64_t done = 0;
    if (offset > old_size) {
        uint64_t zeroed;
        status = transfer(v, file.first, old_size, offset - old_size, nullptr, true, &zeroed);
        if (status == 0 && zeroed < offset - old_size)
            status = -NK_EIO;
    }
    if (status == 0) {
        v->mapping = request.buffer ? nullptr : &request;
        status = transfer(v, file.first, offset, end - offset,
                          static_cast<uint8_t*>(request.buffer), true, &done);
        v->mapping = nullptr;
    }
    uint32_t size = done && offset + done > old_size ? uint32_t(offset + done) : old_size;
    if (file.length > old_length) {
        nk_status trimmed = trim(v, &file, size);
        if (status == 0)
            status = trimmed;
    }
    if (done == 0 && status < 0)
        return status;
    if ((status = update_file(v, &file, size)) < 0)
        return status;
    request.transferred = done;
    describe(v, file.position, file.raw, &request.result);
    return 0;
}

nk_status op_truncate(Volume* v, nooks_fs_request& request) {
    File file;
    nk_status status = open_file(v, request.node, &file, true);
    if (status < 0)
        return status;
    if (request.offset > FILE_SIZE_MAX)
        return -NK_EINVAL;
    uint32_t size = uint32_t(request.offset);
    if (size < file.size || clusters_for(v, size) < file.length) {
        if ((status = trim(v, &file, size)) < 0)
            return status;
    } else if (size > file.size) {
        uint32_t needed = clusters_for(v, size);
        uint32_t adding = needed > file.length ? needed - file.length : 0;
        // All or nothing: a truncate that cannot grow the file fully leaves it alone.
        if (adding > v->free_clusters)
            return -NK_ENOSPC;
        if (adding && (status = extend(v, &file, adding)) < 0)
            return status;
        uint64_t zeroed;
        status = transfer(v, file.first, file.size, size - file.size, nullptr, true, &zeroed);
        if (status == 0 && zeroed < size - file.size)
            status = -NK_EIO;
        if (status < 0) {
            trim(v, &file, file.size);
            update_file(v, &file, file.size);
            return status;
        }
    }
    if ((status = update_file(v, &file, size)) < 0)
        return status;
    describe(v, file.position, file.raw, &request.result);
    return 0;
}

nk_status op_stat(Volume* v, nooks_fs_request& request) {
    if (request.node == ROOT_NODE) {
        request.result = {};
        request.result.number = ROOT_NODE;
        request.result.type = NOOKS_FS_DIRECTORY;
        return 0;
    }
    uint8_t raw[ENTRY_SIZE];
    nk_status status = load_node(v, request.node, raw);
    if (status < 0)
        return status;
    describe(v, (request.node - 2) * ENTRY_SIZE, raw, &request.result);
    return 0;
}

} // namespace vfat
