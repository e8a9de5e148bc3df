// memfs: a RAM file system as an extension of the fs class — directories and files of up to
// 1 MiB, in the extension's own heap. The smallest complete user of nooks/fs.h: `ext load
// /lib/modules/memfs.ko`, then `mount memfs none /mnt`. Its content lives as long as the
// extension (a crash loses it, like a RAM disk losing power).
#include <nooks/extension.h>
#include <nooks/fs.h>
#include <nooks/kernel_api.h>
#include <nooks/support.h>

namespace {

constexpr unsigned MAX_NODES = 64;
constexpr uint64_t MAX_FILE = 1u << 20;
constexpr unsigned NAME_SIZE = 64;

struct Node {
    bool used;
    uint32_t type;
    uint64_t parent; // node number; the root is its own parent
    char name[NAME_SIZE];
    unsigned char* data;
    uint64_t size;
    uint64_t capacity;
    uint64_t modified;
};

Node g_nodes[MAX_NODES];
bool g_mounted = false;
nk_fs_handle g_registration = nullptr;

constexpr uint64_t ROOT = 1;

uint64_t now_seconds() {
    return nk_uptime_ns() / 1000000000ull;
}

Node* node_of(uint64_t number) {
    if (number == 0 || number > MAX_NODES || !g_nodes[number - 1].used)
        return nullptr;
    return &g_nodes[number - 1];
}

uint64_t number_of(const Node* node) {
    return uint64_t(node - g_nodes) + 1;
}

bool same_name(const char* a, const char* b) {
    return strncmp(a, b, NAME_SIZE) == 0;
}

Node* child(uint64_t directory, const char* name) {
    for (auto& node : g_nodes) {
        if (node.used && node.parent == directory && number_of(&node) != ROOT &&
            same_name(node.name, name))
            return &node;
    }
    return nullptr;
}

bool has_children(uint64_t directory) {
    for (auto& node : g_nodes) {
        if (node.used && node.parent == directory && number_of(&node) != directory)
            return true;
    }
    return false;
}

void describe(const Node* node, nooks_fs_node* out) {
    out->number = number_of(node);
    out->size = node->size;
    out->type = node->type;
    out->reserved = 0;
    out->modified = node->modified;
}

void release(Node* node) {
    nk_free(node->data);
    *node = Node{};
}

// Grows or shrinks a file's data to `size` bytes (new bytes read as zeros).
nk_status resize(Node* node, uint64_t size) {
    if (size > MAX_FILE)
        return -NK_ENOSPC;
    if (size > node->capacity) {
        uint64_t capacity = node->capacity ? node->capacity : 256;
        while (capacity < size)
            capacity *= 2;
        auto* data = static_cast<unsigned char*>(nk_zalloc(capacity));
        if (!data)
            return -NK_ENOSPC;
        memcpy(data, node->data, node->size);
        nk_free(node->data);
        node->data = data;
        node->capacity = capacity;
    }
    for (uint64_t i = node->size; i < size; ++i)
        node->data[i] = 0;
    node->size = size;
    node->modified = now_seconds();
    return 0;
}

nk_status make(uint64_t directory, const char* name, uint32_t type, nooks_fs_node* out) {
    if (child(directory, name))
        return -NK_EEXIST;
    for (auto& node : g_nodes) {
        if (node.used)
            continue;
        node = Node{};
        node.used = true;
        node.type = type;
        node.parent = directory;
        nk_strlcpy(node.name, name, NAME_SIZE);
        node.modified = now_seconds();
        describe(&node, out);
        return 0;
    }
    return -NK_ENOSPC;
}

nk_status memfs_mount(const char*, void** volume, nooks_fs_node* root) {
    if (g_mounted)
        return -NK_EBUSY;
    if (!g_nodes[0].used) {
        g_nodes[0] = Node{};
        g_nodes[0].used = true;
        g_nodes[0].type = NOOKS_FS_DIRECTORY;
        g_nodes[0].parent = ROOT;
        g_nodes[0].modified = now_seconds();
    }
    g_mounted = true;
    *volume = g_nodes;
    describe(&g_nodes[0], root);
    return 0;
}

void memfs_unmount(void*) {
    g_mounted = false;
}

nk_status memfs_request(void*, nooks_fs_request* request) {
    Node* node = node_of(request->node);
    if (!node)
        return -NK_ENOENT;
    bool directory = node->type == NOOKS_FS_DIRECTORY;
    request->name[NOOKS_FS_NAME_MAX] = 0;
    switch (request->operation) {
    case NOOKS_FS_LOOKUP: {
        Node* found = directory ? child(request->node, request->name) : nullptr;
        if (!directory)
            return -NK_ENOTDIR;
        if (!found)
            return -NK_ENOENT;
        describe(found, &request->result);
        return 0;
    }
    case NOOKS_FS_CREATE:
    case NOOKS_FS_MKDIR:
        if (!directory)
            return -NK_ENOTDIR;
        return make(request->node, request->name,
                    request->operation == NOOKS_FS_MKDIR ? NOOKS_FS_DIRECTORY : NOOKS_FS_FILE,
                    &request->result);
    case NOOKS_FS_UNLINK:
    case NOOKS_FS_RMDIR: {
        Node* found = directory ? child(request->node, request->name) : nullptr;
        if (!found)
            return directory ? -NK_ENOENT : -NK_ENOTDIR;
        bool is_directory = found->type == NOOKS_FS_DIRECTORY;
        if (request->operation == NOOKS_FS_UNLINK && is_directory)
            return -NK_EISDIR;
        if (request->operation == NOOKS_FS_RMDIR && !is_directory)
            return -NK_ENOTDIR;
        if (is_directory && has_children(number_of(found)))
            return -NK_ENOTEMPTY;
        release(found);
        return 0;
    }
    case NOOKS_FS_RENAME: {
        request->other_name[NOOKS_FS_NAME_MAX] = 0;
        Node* found = directory ? child(request->node, request->name) : nullptr;
        Node* target_directory = node_of(request->other);
        if (!found || !target_directory || target_directory->type != NOOKS_FS_DIRECTORY)
            return -NK_ENOENT;
        Node* replaced = child(request->other, request->other_name);
        if (replaced == found)
            return 0;
        if (replaced) {
            if (replaced->type == NOOKS_FS_DIRECTORY && has_children(number_of(replaced)))
                return -NK_ENOTEMPTY;
            release(replaced);
        }
        found->parent = request->other;
        memset(found->name, 0, NAME_SIZE);
        nk_strlcpy(found->name, request->other_name, NAME_SIZE);
        found->modified = now_seconds();
        return 0;
    }
    case NOOKS_FS_READDIR: {
        if (!directory)
            return -NK_ENOTDIR;
        uint64_t index = 0;
        for (auto& entry : g_nodes) {
            if (!entry.used || entry.parent != request->node || number_of(&entry) == ROOT)
                continue;
            if (index++ == request->offset) {
                memcpy(request->name, entry.name, NAME_SIZE);
                describe(&entry, &request->result);
                return 0;
            }
        }
        return -NK_ENOENT;
    }
    case NOOKS_FS_READ: {
        if (directory)
            return -NK_EISDIR;
        uint64_t available = request->offset < node->size ? node->size - request->offset : 0;
        uint64_t count = request->length < available ? request->length : available;
        memcpy(request->buffer, node->data + request->offset, count);
        request->transferred = count;
        return 0;
    }
    case NOOKS_FS_WRITE: {
        if (directory)
            return -NK_EISDIR;
        if (request->offset > MAX_FILE || request->length > MAX_FILE - request->offset)
            return -NK_ENOSPC;
        uint64_t end = request->offset + request->length;
        if (end > node->size) {
            nk_status grown = resize(node, end);
            if (grown < 0)
                return grown;
        }
        memcpy(node->data + request->offset, request->buffer, request->length);
        node->modified = now_seconds();
        request->transferred = request->length;
        describe(node, &request->result);
        return 0;
    }
    case NOOKS_FS_TRUNCATE:
        if (directory)
            return -NK_EISDIR;
        return resize(node, request->offset);
    case NOOKS_FS_STAT:
        describe(node, &request->result);
        return 0;
    case NOOKS_FS_SYNC:
        return 0;
    }
    return -NK_ENOSYS;
}

const nooks_fs_ops g_ops = {memfs_mount, memfs_unmount, memfs_request, 0, 0};

nk_status memfs_init() {
    return nk_fs_register("memfs", &g_ops, &g_registration);
}

void memfs_exit() {
    nk_fs_unregister(g_registration);
    for (auto& node : g_nodes) {
        if (node.used)
            release(&node);
    }
}

} // namespace

NOOKS_MODULE("memfs", NOOKS_CLASS_FS, memfs_init, memfs_exit, nullptr);
