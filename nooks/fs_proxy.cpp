// The VFS side of extension file systems: ExtensionFileSystem and ExtensionInode forward each
// inode operation as one nooks_fs_request. Inodes are not cached: a lookup makes a fresh
// ExtensionInode for the node number the extension returns (node numbers are the identity, and
// the extension keeps the state), so nothing in the kernel goes stale when it changes.
//
// Transparent recovery. A volume is bound to one incarnation of its file system at a time (a
// VolumeBinding: the extension's volume context and the ops). Each request to an isolated file
// system runs inside a kernel::block::WriteTransaction, so its disk writes count only when the
// crossing returns normally. When the extension crashes, recovery orphans its volumes instead
// of failing them: they stay mounted, requests wait, and once the restarted extension is up the
// proxy mounts each volume again (same device, same root node) and binds it; the request the
// crash cut short — whose writes were dropped — is replayed once. Open files and working
// directories keep their inodes: node numbers are stable across a restart (nooks/fs.h).
#include <arch/x86/interrupt_state.h>
#include <kernel/block/block_device.h>
#include <kernel/block/write_transaction.h>
#include <kernel/fs/file_system.h>
#include <kernel/fs/fs.h>
#include <kernel/fs/inode.h>
#include <kernel/fs/path.h>
#include <kernel/fs/vfs.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/time/clock.h>
#include <nooks/device_classes.h>
#include <nooks/extension_manager.h>
#include <nooks/fs_proxy.h>
#include <nooks/rebinding.h>
#include <nooks/recovery.h>
#include <nooks/wrapper.h>
#include <nooks/xpc.h>

#include <stdio.h>
#include <string.h>

namespace nooks {

namespace {

using kernel::fs::Inode;
using nk::abi::FileType;

constexpr nk::usize DATA_PER_CROSSING = 256 * 1024;

class ExtensionFileSystem;
class ExtensionInode;

// Every ExtensionInode alive, per volume: open files, working directories, the root.
struct LiveInode {
    nk::IntrusiveListNode node;
    ExtensionInode* inode;
};

// A volume's tie to one incarnation of its file system.
struct VolumeBinding {
    ClassRegistration registration; // first: tracked against the extension
    ExtensionFileSystem* fs;
    nooks_fs_ops ops;
    void* volume; // the extension's context for the mount
};

FileType file_type_of(nk::u32 type) {
    return type == NOOKS_FS_DIRECTORY ? FileType::Directory : FileType::Regular;
}

// The mount op's arguments: the device name, and where the volume and root node go.
struct MountArguments {
    char device[32];
    void* volume;
    nooks_fs_node root;
};

// Calls `ops.mount` through `registration` (in a bounce buffer when isolated).
nk::ErrorOr call_mount(ClassRegistration& registration, const nooks_fs_ops& ops,
                       MountArguments& local) {
    auto call = [&](MountArguments& arguments) {
        return registration.call(reinterpret_cast<const void*>(ops.mount), long(arguments.device),
                                 long(&arguments.volume), long(&arguments.root));
    };
    if (!registration.isolated())
        return status_of(call(local));
    BounceBuffer bounce(*registration.extension, sizeof(MountArguments));
    if (!bounce.ok())
        return nk::Error::NoMemory;
    MountArguments& shared = *bounce.as<MountArguments>();
    shared = local;
    TRY(status_of(bounce.after(call(shared))));
    local.volume = shared.volume;
    local.root = shared.root;
    return {};
}

class ExtensionFileSystem final : public kernel::fs::FileSystem {
public:
    ExtensionFileSystem(const char* type, const char* device, Extension* owner) : owner(owner) {
        strncpy(m_name, type, sizeof m_name - 1);
        strncpy(device_name, device, sizeof device_name - 1);
    }
    ~ExtensionFileSystem() override;

    Inode& root() override { return *m_root; }
    const char* name() const override { return m_name; }

    // One operation. `data` (`length` bytes) goes to the extension for writes and comes back
    // for reads; request.transferred and request.result come back either way.
    nk::ErrorOr perform(nooks_fs_request& request, nk::u8* data, bool data_out);

    void bind(VolumeBinding& new_binding) {
        // A file system that lost its state in the crash (a RAM file system) may not know the
        // names the old incarnation answered: ask it again.
        forget_names(~0ull);
        forget_attributes(~0ull);
        bound.bind(new_binding);
    }

    // File attributes (size, change time) as the last STAT answered, so that a stat — the web
    // server makes one per request — costs no crossing. Only this proxy changes the volume: an
    // entry is forgotten before and after any write or truncate of its file, and all of them
    // before any change of names (create, unlink, rename...) and at a new binding.
    struct Attributes {
        bool valid;
        nk::u64 number;
        nk::u64 size;
        nk::u64 modified;
    };
    static constexpr unsigned ATTRIBUTE_SLOTS = 64;
    Attributes attributes[ATTRIBUTE_SLOTS] = {};
    nk::u64 attribute_hits = 0;

    bool cached_attributes(nk::u64 number, nk::u64& size, nk::u64& modified) {
        x86::InterruptGuard guard;
        const Attributes& slot = attributes[number % ATTRIBUTE_SLOTS];
        if (!slot.valid || slot.number != number)
            return false;
        size = slot.size;
        modified = slot.modified;
        ++attribute_hits;
        return true;
    }
    void remember_attributes(nk::u64 number, nk::u64 size, nk::u64 modified) {
        x86::InterruptGuard guard;
        attributes[number % ATTRIBUTE_SLOTS] = {true, number, size, modified};
    }
    // `number` ~0: every file.
    void forget_attributes(nk::u64 number) {
        {
            x86::InterruptGuard guard;
            for (auto& slot : attributes) {
                if (number == ~0ull || slot.number == number)
                    slot.valid = false;
            }
        }
        forget_reads(number);
    }

    // Where the bytes of recent READs lie on the disk (their data maps), so that reading the
    // same bytes again — the web server sends the same small files over and over — costs no
    // crossing: the kernel moves them from the block cache itself. Forgotten with the file's
    // attributes (any write, truncate or change of names, a new binding). Each entry holds a
    // reference to its block device.
    struct CachedRead {
        nk::u64 number; // 0: unused
        nk::u64 offset;
        nk::u64 length; // bytes the map covers from `offset`
        kernel::block::BlockDevice* device;
        nk::u32 count;
        nooks_fs_data_extent runs[NOOKS_FS_DATA_EXTENTS_MAX];
    };
    static constexpr unsigned READ_SLOTS = 64; // a 4 MiB file in 64 KiB reads
    CachedRead reads[READ_SLOTS] = {};
    nk::u64 read_hits = 0;

    void remember_read(nk::u64 number, nk::u64 offset, kernel::block::BlockDevice& device,
                       const nooks_fs_data_extent* runs, nk::u32 count, nk::u64 length);
    void forget_reads(nk::u64 number);
    // The bytes [offset, offset + length) of file `number` into `data` when a cached map covers
    // them all; false (nothing moved) otherwise.
    bool cached_read(nk::u64 number, nk::u64 offset, nk::u8* data, nk::usize length);

    // Lookups already made, (directory node, name) -> (node, type), so that a path walk through
    // the same directories, or the lookup the VFS makes before an unlink, costs no crossing.
    // Filled by lookup, create and mkdir. An unlink or rmdir forgets its victim under every
    // spelling (the entries with its node number) and, for a directory, what was looked up in
    // it — or, when the name was not cached under that spelling, everything of its directory. A
    // rename forgets all of them (a FAT node number is its entry's position: a moved directory's
    // children change numbers). Names match exactly — another spelling of a case-insensitive name
    // simply misses. Emptied when the volume is bound to a restarted file system.
    struct NameEntry {
        nk::u64 parent;
        nk::u64 number; // 0: unused
        nk::u32 type;
        char name[44];
    };
    static constexpr unsigned NAME_ENTRIES = 256;
    NameEntry names[NAME_ENTRIES] = {};
    unsigned next_name = 0;
    nk::u64 name_hits = 0;

    bool cached_lookup(nk::u64 parent, const char* name, nooks_fs_node& out) {
        x86::InterruptGuard guard;
        for (auto& entry : names) {
            if (entry.number && entry.parent == parent &&
                strncmp(entry.name, name, sizeof entry.name) == 0) {
                out = {};
                out.number = entry.number;
                out.type = entry.type;
                ++name_hits;
                return true;
            }
        }
        return false;
    }
    void remember(nk::u64 parent, const char* name, const nooks_fs_node& node) {
        if (strnlen(name, sizeof NameEntry::name) >= sizeof NameEntry::name)
            return;
        x86::InterruptGuard guard;
        NameEntry& entry = names[next_name++ % NAME_ENTRIES];
        entry = {parent, node.number, node.type, {}};
        strncpy(entry.name, name, sizeof entry.name - 1);
    }
    // `parent` ~0: everything.
    void forget_names(nk::u64 parent) {
        x86::InterruptGuard guard;
        for (auto& entry : names) {
            if (parent == ~0ull || entry.parent == parent)
                entry.number = 0;
        }
    }
    // Before an unlink or rmdir of `name` in `parent`.
    void forget_victim(nk::u64 parent, const char* name) {
        nooks_fs_node victim = {};
        bool known;
        {
            x86::InterruptGuard guard;
            known = false;
            for (auto& entry : names) {
                if (entry.number && entry.parent == parent &&
                    strncmp(entry.name, name, sizeof entry.name) == 0) {
                    victim.number = entry.number;
                    known = true;
                }
            }
        }
        if (!known) {
            forget_names(parent);
            return;
        }
        x86::InterruptGuard guard;
        for (auto& entry : names) {
            if (entry.number == victim.number || entry.parent == victim.number)
                entry.number = 0;
        }
    }

    // Node numbers are on-disk positions (nooks/fs.h): a node in use must not be deleted (its
    // entry could be reused by another file while a descriptor still names it) — as on Windows,
    // an open FAT file cannot be removed — and one that is renamed is renumbered.
    nk::IntrusiveList<LiveInode, &LiveInode::node> live;
    bool in_use(nk::u64 number);
    void renumber(nk::u64 from, nk::u64 to);

    Extension* owner;
    Rebinding<VolumeBinding> bound;
    nk::u64 requests = 0;
    nk::u64 remounts = 0;
    nk::u64 root_number = 0;
    nk::u64 live_inodes = 0;
    char device_name[32] = {};
    char mount_path[64] = {};
    Inode* m_root = nullptr;
    nk::IntrusiveListNode node; // g_volumes

private:
    AttemptOutcome perform_once(VolumeBinding& binding, nooks_fs_request& request, nk::u8* data,
                                bool data_out);

    char m_name[16] = {};
};

class ExtensionInode final : public Inode {
public:
    ExtensionInode(ExtensionFileSystem& fs, const nooks_fs_node& node)
        : Inode(fs, file_type_of(node.type), node.number) {
        x86::InterruptGuard guard;
        ++fs.live_inodes;
        fs.live.push_back(m_link);
    }
    ~ExtensionInode() override {
        x86::InterruptGuard guard;
        --fs().live_inodes;
        fs().live.remove(m_link);
    }
    void move_to(nk::u64 number) { renumber(number); }

    nk::Result<Inode*> lookup(const char* name) override { return named(NOOKS_FS_LOOKUP, name); }
    nk::Result<Inode*> create_file(const char* name) override {
        fs().forget_attributes(~0ull);
        return named(NOOKS_FS_CREATE, name);
    }
    nk::Result<Inode*> make_directory(const char* name) override {
        fs().forget_attributes(~0ull);
        return named(NOOKS_FS_MKDIR, name);
    }
    nk::ErrorOr unlink(const char* name) override { return simple(NOOKS_FS_UNLINK, name); }
    nk::ErrorOr remove_directory(const char* name) override { return simple(NOOKS_FS_RMDIR, name); }
    nk::ErrorOr rename(const char* name, Inode& new_parent, const char* new_name) override {
        nooks_fs_node source = TRY(victim(name));
        // A target that is replaced goes like an unlinked one: not while in use.
        if (auto target = victim_in(new_parent.number(), new_name);
            target.has_value() && target.value().number != source.number &&
            fs().in_use(target.value().number))
            return nk::Error::Busy;
        nooks_fs_request request = prepare(NOOKS_FS_RENAME, name);
        request.other = new_parent.number();
        strncpy(request.other_name, new_name, NOOKS_FS_NAME_MAX);
        fs().forget_names(~0ull);
        fs().forget_attributes(~0ull);
        TRY(fs().perform(request, nullptr, false));
        if (request.result.number && request.result.number != source.number)
            fs().renumber(source.number, request.result.number);
        return {};
    }
    nk::Result<bool> read_directory(nk::u64 index, nk::abi::DirEntry& entry) override {
        if (!is_directory())
            return nk::Error::NotDirectory;
        nooks_fs_request request = prepare(NOOKS_FS_READDIR, nullptr);
        request.offset = index;
        auto done = fs().perform(request, nullptr, false);
        if (done.is_error())
            return done.error() == nk::Error::NoEntry ? nk::Result<bool>(false) : done.error();
        entry = {};
        // Longer names than the VFS carries are cut (they cannot be looked up by that name).
        strncpy(entry.name, request.name, sizeof entry.name - 1);
        entry.type = file_type_of(request.result.type);
        entry.size = request.result.size;
        return true;
    }
    nk::Result<nk::usize> read(nk::u64 offset, nk::u8* buffer, nk::usize length) override {
        return transfer(NOOKS_FS_READ, offset, buffer, length);
    }
    nk::Result<nk::usize> write(nk::u64 offset, const nk::u8* buffer, nk::usize length) override {
        fs().forget_attributes(number());
        auto written = transfer(NOOKS_FS_WRITE, offset, const_cast<nk::u8*>(buffer), length);
        fs().forget_attributes(number());
        return written;
    }
    nk::ErrorOr truncate(nk::u64 length) override {
        if (is_directory())
            return nk::Error::IsDirectory;
        nooks_fs_request request = prepare(NOOKS_FS_TRUNCATE, nullptr);
        request.offset = length;
        fs().forget_attributes(number());
        auto truncated = fs().perform(request, nullptr, false);
        fs().forget_attributes(number());
        return truncated;
    }
    nk::Result<nk::abi::Stat> stat() const override {
        auto* self = const_cast<ExtensionInode*>(this);
        nk::u64 size, modified;
        if (!self->fs().cached_attributes(number(), size, modified)) {
            nooks_fs_request request = self->prepare(NOOKS_FS_STAT, nullptr);
            TRY(self->fs().perform(request, nullptr, false));
            size = request.result.size;
            modified = request.result.modified;
            self->fs().remember_attributes(number(), size, modified);
        }
        return nk::abi::Stat{size, number(), type(), 1, modified * 1000000000ull};
    }

private:
    ExtensionFileSystem& fs() { return static_cast<ExtensionFileSystem&>(file_system()); }

    LiveInode m_link = {{}, this};

    // The node `name` names in this directory (from the name cache, or a lookup).
    nk::Result<nooks_fs_node> victim(const char* name) { return victim_in(number(), name); }
    nk::Result<nooks_fs_node> victim_in(nk::u64 directory, const char* name) {
        nooks_fs_request request = {};
        request.operation = NOOKS_FS_LOOKUP;
        request.node = directory;
        strncpy(request.name, name, NOOKS_FS_NAME_MAX);
        if (!fs().cached_lookup(directory, name, request.result))
            TRY(fs().perform(request, nullptr, false));
        return request.result;
    }

    nooks_fs_request prepare(nk::u32 operation, const char* name) {
        nooks_fs_request request = {};
        request.operation = operation;
        request.node = number();
        if (name)
            strncpy(request.name, name, NOOKS_FS_NAME_MAX);
        return request;
    }

    nk::Result<Inode*> named(nk::u32 operation, const char* name) {
        if (!is_directory())
            return nk::Error::NotDirectory;
        nooks_fs_request request = prepare(operation, name);
        if (operation != NOOKS_FS_LOOKUP || !fs().cached_lookup(number(), name, request.result)) {
            TRY(fs().perform(request, nullptr, false));
            fs().remember(number(), name, request.result);
        }
        auto* inode = new ExtensionInode(fs(), request.result);
        if (!inode)
            return nk::Error::NoMemory;
        return static_cast<Inode*>(inode);
    }

    nk::ErrorOr simple(nk::u32 operation, const char* name) {
        if (!is_directory())
            return nk::Error::NotDirectory;
        if (fs().in_use(TRY(victim(name)).number))
            return nk::Error::Busy;
        nooks_fs_request request = prepare(operation, name);
        fs().forget_victim(number(), name); // an unlink or rmdir
        fs().forget_attributes(~0ull);
        return fs().perform(request, nullptr, false);
    }

    nk::Result<nk::usize> transfer(nk::u32 operation, nk::u64 offset, nk::u8* data,
                                   nk::usize length) {
        if (is_directory())
            return nk::Error::IsDirectory;
        nk::usize done = 0;
        while (done < length) {
            nk::usize chunk = nk::min(length - done, DATA_PER_CROSSING);
            if (operation == NOOKS_FS_READ &&
                fs().cached_read(number(), offset + done, data + done, chunk)) {
                done += chunk;
                continue;
            }
            nooks_fs_request request = prepare(operation, nullptr);
            request.offset = offset + done;
            request.length = chunk;
            auto performed = fs().perform(request, data + done, operation == NOOKS_FS_READ);
            if (performed.is_error())
                return done ? nk::Result<nk::usize>(done) : performed.error();
            done += request.transferred;
            // Short: the end of the file (read) or a full volume (write) — unless the data map
            // was full, which ends a request early on a fragmented file.
            bool map_full = request.data_count == NOOKS_FS_DATA_EXTENTS_MAX;
            if (request.transferred == 0 || (request.transferred < chunk && !map_full))
                break;
        }
        return done;
    }
};

nk::IntrusiveList<ExtensionFileSystem, &ExtensionFileSystem::node> g_volumes;

bool ExtensionFileSystem::in_use(nk::u64 number) {
    x86::InterruptGuard guard;
    for (auto& link : live) {
        if (link.inode->number() == number)
            return true;
    }
    return false;
}

void ExtensionFileSystem::renumber(nk::u64 from, nk::u64 to) {
    x86::InterruptGuard guard;
    for (auto& link : live) {
        if (link.inode->number() == from)
            link.inode->move_to(to);
    }
}

// The writes a request handed back (nooks_fs_request.writeback), made now: they join the open
// write transaction when isolated. Everything was checked by the caller.
nk::ErrorOr apply_writeback(kernel::block::BlockDevice& device, const nooks_block_extent* extents,
                            nk::u32 count) {
    for (nk::u32 i = 0; i < count; ++i)
        TRY(device.write(extents[i].sector, extents[i].count, extents[i].buffer));
    return {};
}

// A data map (NOOKS_FS_MAPS_DATA): where a READ's or WRITE's bytes lie, as the kernel keeps it —
// copied out of the answer once, so the extension cannot change it while it is used.
struct DataMap {
    nk_block_handle device;
    nk::u32 count;
    nk::u64 transferred;
    nooks_fs_data_extent runs[NOOKS_FS_DATA_EXTENTS_MAX];
};

DataMap data_map_of(const nooks_fs_request& answer) {
    DataMap map = {
        answer.data_device, nk::min<nk::u32>(answer.data_count, ~0u), answer.transferred, {}};
    if (map.count <= NOOKS_FS_DATA_EXTENTS_MAX)
        memcpy(map.runs, answer.data, map.count * sizeof(nooks_fs_data_extent));
    return map;
}

// At most NOOKS_FS_DATA_EXTENTS_MAX runs, inside the device, adding up to what the request says
// it moved, no more than it asked for.
bool data_map_ok(const kernel::block::BlockDevice& device, const DataMap& map, nk::u64 length) {
    if (map.count > NOOKS_FS_DATA_EXTENTS_MAX || map.transferred > length)
        return false;
    nk::u64 device_bytes = device.sector_count() * device.sector_size();
    nk::u64 total = 0;
    for (nk::u32 i = 0; i < map.count; ++i) {
        const nooks_fs_data_extent& run = map.runs[i];
        nk::u64 end;
        if (run.length == 0 || __builtin_add_overflow(run.device_byte, run.length, &end) ||
            end > device_bytes || __builtin_add_overflow(total, run.length, &total))
            return false;
    }
    return total == map.transferred;
}

// The bytes a mapped READ or WRITE names, moved between `data` and the block cache. A write
// joins the open transaction (after the request's write-back), `data` shared, not copied.
nk::ErrorOr move_mapped_data(kernel::block::BlockDevice& device, const DataMap& map, nk::u8* data,
                             bool write) {
    for (nk::u32 i = 0; i < map.count; ++i) {
        const nooks_fs_data_extent& run = map.runs[i];
        TRY(write ? device.write_bytes(run.device_byte, run.length, data)
                  : device.read_bytes(run.device_byte, run.length, data));
        data += run.length;
    }
    return {};
}

AttemptOutcome ExtensionFileSystem::perform_once(VolumeBinding& binding, nooks_fs_request& request,
                                                 nk::u8* data, bool data_out) {
    ClassRegistration& registration = binding.registration;
    auto function = reinterpret_cast<const void*>(binding.ops.request);
    // A file system that maps data leaves moving it to the kernel: no data crosses.
    bool mapped = data && (binding.ops.features & NOOKS_FS_MAPS_DATA) &&
                  (request.operation == NOOKS_FS_READ || request.operation == NOOKS_FS_WRITE);
    nk::usize length = data && !mapped ? request.length : 0;
    if (!registration.isolated()) {
        request.buffer = mapped ? nullptr : data;
        request.writeback_count = 0;
        request.data_count = 0;
        auto called = registration.call(function, long(binding.volume), long(&request));
        if (called.has_value() && request.writeback_count) {
            // Natively trusted, as every native call is (bounded all the same).
            nk::u32 count = nk::min<nk::u32>(request.writeback_count, NOOKS_BLOCK_EXTENTS_MAX);
            if (auto written = apply_writeback(opened_block_device(request.writeback_device),
                                               request.writeback, count);
                written.is_error())
                return {written.error(), false};
        }
        if (called.has_value() && mapped) {
            DataMap map = data_map_of(request);
            if (map.count == 0 ? map.transferred != 0
                               : !data_map_ok(opened_block_device(map.device), map, request.length))
                return {nk::Error::IO, false};
            if (map.count) {
                if (auto moved =
                        move_mapped_data(opened_block_device(map.device), map, data, !data_out);
                    moved.is_error())
                    return {moved.error(), false};
                if (data_out)
                    remember_read(request.node, request.offset, opened_block_device(map.device),
                                  map.runs, map.count, map.transferred);
            }
        }
        return {status_of(called), called.is_error()};
    }
    BounceBuffer bounce(*registration.extension, sizeof(nooks_fs_request) + length);
    if (!bounce.ok())
        return {nk::Error::NoMemory, false};
    auto* shared = bounce.as<nooks_fs_request>();
    auto* window = reinterpret_cast<nk::u8*>(shared + 1);
    *shared = request;
    shared->buffer = length ? window : nullptr;
    shared->writeback_count = 0;
    shared->data_count = 0;
    if (length && !data_out)
        memcpy(window, data, length);
    // Crossing-atomic: what the request writes is held until the crossing has returned.
    kernel::block::WriteTransaction transaction;
    auto called = bounce.after(registration.call(function, long(binding.volume), long(shared)));
    if (called.is_error())
        return {called.error(), true}; // the transaction's writes are dropped with it
    // The write-back it handed over: copied out of its memory first, checked (a device it
    // opened, buffers in its domain, sizes bounded), then made inside the transaction. A bad one
    // is the extension's fault: it is failed, and the request — whose writes go with the
    // transaction — replayed on its next incarnation.
    if (nk::u32 count = shared->writeback_count) {
        nooks_block_extent extents[NOOKS_BLOCK_EXTENTS_MAX];
        nk_block_handle device = shared->writeback_device;
        Extension& extension = *registration.extension;
        bool ok = count <= NOOKS_BLOCK_EXTENTS_MAX &&
                  extension.tracker.owns(reinterpret_cast<const TrackedObject*>(device),
                                         ObjectKind::BlockClient);
        if (ok) {
            memcpy(extents, shared->writeback, count * sizeof(nooks_block_extent));
            nk::u64 sector_size = opened_block_device(device).sector_size();
            for (nk::u32 i = 0; ok && i < count; ++i)
                ok = extents[i].count <= 1024 &&
                     domain_range_ok(extension, reinterpret_cast<nk::u64>(extents[i].buffer),
                                     extents[i].count * sector_size, false);
        }
        if (!ok) {
            record_failure(extension, "its request handed back a write-back it does not own", 0);
            return {nk::Error::Aborted, true};
        }
        if (auto written = apply_writeback(opened_block_device(device), extents, count);
            written.is_error())
            return {written.error(), false};
    }
    // The data map, copied out and checked the same way; a write's data joins the transaction.
    // Nothing moved (an empty map) must say so: what it says it moved, the caller is given.
    DataMap map = {};
    kernel::block::BlockDevice* data_device = nullptr;
    if (mapped && called.has_value()) {
        map = data_map_of(*shared);
        Extension& extension = *registration.extension;
        if (map.count && extension.tracker.owns(reinterpret_cast<const TrackedObject*>(map.device),
                                                ObjectKind::BlockClient))
            data_device = &opened_block_device(map.device);
        if (map.count ? !data_device || !data_map_ok(*data_device, map, request.length)
                      : map.transferred != 0) {
            record_failure(extension, "its request answered with a bad data map", 0);
            return {nk::Error::Aborted, true};
        }
        if (data_device && !data_out) {
            if (auto moved = move_mapped_data(*data_device, map, data, true); moved.is_error())
                return {moved.error(), false};
        }
    }
    if (auto committed = transaction.commit(); committed.is_error()) {
        kprintf("nooks: %s on %s: the request's writes could not be committed (%s); dropped\n",
                m_name, device_name, nk::error_name(committed.error()));
        return {nk::Error::IO, false};
    }
    nk::ErrorOr result = status_of(called);
    if (result.has_value()) {
        // Only what the extension may answer comes back, bounded.
        request.transferred = nk::min<nk::u64>(shared->transferred, request.length);
        request.result = shared->result;
        request.usage = shared->usage;
        memcpy(request.name, shared->name, sizeof request.name);
        request.name[NOOKS_FS_NAME_MAX] = 0;
        if (data_out && length)
            memcpy(data, window, request.transferred);
        if (mapped) {
            request.transferred = map.transferred;
            request.data_count = map.count;
            if (data_out && data_device) {
                if (auto moved = move_mapped_data(*data_device, map, data, false); moved.is_error())
                    result = moved.error();
                else
                    remember_read(request.node, request.offset, *data_device, map.runs, map.count,
                                  map.transferred);
            }
        }
    }
    return {result, false};
}

void ExtensionFileSystem::remember_read(nk::u64 number, nk::u64 offset,
                                        kernel::block::BlockDevice& device,
                                        const nooks_fs_data_extent* runs, nk::u32 count,
                                        nk::u64 length) {
    if (number == 0 || count == 0 || count > NOOKS_FS_DATA_EXTENTS_MAX || length == 0)
        return;
    device.ref();
    kernel::block::BlockDevice* replaced;
    {
        x86::InterruptGuard guard;
        CachedRead& slot = reads[(number ^ (offset >> 16)) % READ_SLOTS];
        replaced = slot.number ? slot.device : nullptr;
        slot.number = number;
        slot.offset = offset;
        slot.length = length;
        slot.device = &device;
        slot.count = count;
        memcpy(slot.runs, runs, count * sizeof(nooks_fs_data_extent));
    }
    if (replaced)
        replaced->unref();
}

void ExtensionFileSystem::forget_reads(nk::u64 number) {
    for (auto& slot : reads) {
        kernel::block::BlockDevice* device = nullptr;
        {
            x86::InterruptGuard guard;
            if (slot.number && (number == ~0ull || slot.number == number)) {
                device = slot.device;
                slot.number = 0;
                slot.device = nullptr;
            }
        }
        if (device)
            device->unref();
    }
}

bool ExtensionFileSystem::cached_read(nk::u64 number, nk::u64 offset, nk::u8* data,
                                      nk::usize length) {
    CachedRead copy;
    {
        x86::InterruptGuard guard;
        const CachedRead* found = nullptr;
        for (const auto& slot : reads) {
            if (slot.number == number && offset >= slot.offset &&
                offset - slot.offset <= slot.length && length <= slot.length - (offset - slot.offset)) {
                found = &slot;
                break;
            }
        }
        if (!found || length == 0)
            return false;
        copy = *found;
        copy.device->ref();
    }
    // The runs, from the one holding `offset` on, into `data`.
    nk::u64 skip = offset - copy.offset;
    nk::usize moved = 0;
    bool ok = true;
    for (nk::u32 i = 0; i < copy.count && moved < length && ok; ++i) {
        const nooks_fs_data_extent& run = copy.runs[i];
        if (skip >= run.length) {
            skip -= run.length;
            continue;
        }
        nk::u64 take = nk::min<nk::u64>(run.length - skip, length - moved);
        ok = copy.device->read_bytes(run.device_byte + skip, take, data + moved).has_value();
        moved += take;
        skip = 0;
    }
    copy.device->unref();
    if (!ok || moved != length)
        return false;
    ++read_hits;
    return true;
}

nk::ErrorOr ExtensionFileSystem::perform(nooks_fs_request& request, nk::u8* data, bool data_out) {
    ++requests;
    request.time = kernel::clock::epoch_seconds();
    return bound.with_replay(
        [&](VolumeBinding& binding) {
            // Each attempt starts from the caller's request (the answers are written fresh).
            nooks_fs_request attempt_request = request;
            AttemptOutcome outcome = perform_once(binding, attempt_request, data, data_out);
            if (outcome.result.has_value())
                request = attempt_request;
            return outcome;
        },
        [] { return false; });
}

ExtensionFileSystem::~ExtensionFileSystem() {
    forget_reads(~0ull);
    if (m_root)
        m_root->unref();
}

// The tracked object goes. In a recovery of an isolated file system the volume is orphaned: it
// stays mounted and waits for the restarted extension (finish_fs_recovery).
void release_volume(TrackedObject& tracked) {
    auto* bound = reinterpret_cast<VolumeBinding*>(&tracked);
    ExtensionFileSystem* fs = bound->fs;
    Extension* extension = bound->registration.extension;
    if (extension && extension->mode == ExtensionMode::Isolated &&
        extension->state == ExtensionState::Recovering)
        (void)fs->bound.orphan(*bound);
    bound->registration.retire();
}

// The binding's last call is over. A volume still bound to it (not orphaned) has lost its file
// system for good: its operations fail from now on.
void destroy_binding(ClassRegistration& registration) {
    auto* bound = reinterpret_cast<VolumeBinding*>(&registration);
    (void)bound->fs->bound.release(*bound);
    kfree(bound);
}

VolumeBinding* new_binding(ExtensionFileSystem& fs, RegisteredFileSystem& type) {
    auto* bound = static_cast<VolumeBinding*>(kzalloc(sizeof(VolumeBinding)));
    if (!bound)
        return nullptr;
    ClassRegistration& owner = type.registration;
    bound->registration.init(ObjectKind::Volume, release_volume, destroy_binding, owner.extension);
    bound->registration.incarnation = owner.incarnation;
    bound->fs = &fs;
    bound->ops = type.ops;
    return bound;
}

void end_volume(ExtensionFileSystem& fs, const char* why) {
    fs.bound.end();
    // Nothing is answered for it any more, from the caches either.
    fs.forget_names(~0ull);
    fs.forget_attributes(~0ull);
    kprintf("nooks: volume %s (%s on %s): %s; its operations fail from now on\n", fs.mount_path,
            fs.name(), fs.device_name, why);
}

// Mounts an orphaned volume again on the restarted extension.
void remount(ExtensionFileSystem& fs) {
    RegisteredFileSystem* type = find_file_system(fs.name());
    if (!type || type->registration.extension != fs.owner) {
        end_volume(fs, "its file system did not register again");
        return;
    }
    ClassRegistration& owner = type->registration;
    if (!owner.enter()) {
        end_volume(fs, "its file system is not running");
        return;
    }
    VolumeBinding* bound = new_binding(fs, *type);
    MountArguments arguments = {};
    strncpy(arguments.device, fs.device_name, sizeof arguments.device - 1);
    nk::ErrorOr mounted =
        bound ? call_mount(owner, type->ops, arguments) : nk::ErrorOr(nk::Error::NoMemory);
    if (mounted.is_error() && fs.owner && fs.owner->state != ExtensionState::Running) {
        // It crashed again while mounting: the volume stays orphaned, and the recovery that
        // follows tries again (its restart policy bounds how often).
        kfree(bound);
        owner.leave();
        return;
    }
    if (mounted.is_error() || arguments.root.number != fs.root_number) {
        kfree(bound);
        owner.leave();
        end_volume(fs, mounted.is_error() ? "mounting it again failed"
                                          : "mounted again with another root node");
        return;
    }
    bound->volume = arguments.volume;
    if (owner.extension)
        owner.extension->tracker.add(bound->registration.tracked);
    ++fs.remounts;
    fs.bind(*bound);
    owner.leave();
}

} // namespace

nk::ErrorOr mount_file_system(const char* type, const char* device, const char* cwd,
                              const char* path_text) {
    auto path = TRY(kernel::fs::Path::resolve(cwd, path_text));
    RegisteredFileSystem* registered = find_file_system(type);
    if (!registered)
        return nk::Error::NoDevice; // as Linux: an unknown file-system type is ENODEV
    ClassRegistration& owner = registered->registration;
    if (!owner.enter())
        return nk::Error::NoDevice;
    auto* fs = new ExtensionFileSystem(type, device, owner.extension);
    VolumeBinding* bound = fs ? new_binding(*fs, *registered) : nullptr;
    if (!bound) {
        delete fs;
        owner.leave();
        return nk::Error::NoMemory;
    }
    strncpy(fs->mount_path, path.c_str(), sizeof fs->mount_path - 1);
    MountArguments arguments = {};
    strncpy(arguments.device, device, sizeof arguments.device - 1);
    if (auto mounted = call_mount(owner, registered->ops, arguments); mounted.is_error()) {
        kfree(bound);
        delete fs;
        owner.leave();
        return mounted.error();
    }
    bound->volume = arguments.volume;
    fs->bound.binding = bound;
    fs->root_number = arguments.root.number;
    arguments.root.type = NOOKS_FS_DIRECTORY; // a root is a directory, whatever it says
    fs->m_root = new ExtensionInode(*fs, arguments.root);
    nk::ErrorOr attached =
        fs->m_root ? kernel::fs::vfs().mount(path.c_str(), *fs) : nk::ErrorOr(nk::Error::NoMemory);
    if (attached.is_error()) {
        if (registered->ops.unmount)
            (void)owner.call(reinterpret_cast<const void*>(registered->ops.unmount),
                             long(bound->volume));
        fs->bound.binding = nullptr;
        kfree(bound);
        delete fs;
        owner.leave();
        return attached.error();
    }
    if (owner.extension)
        owner.extension->tracker.add(bound->registration.tracked);
    {
        x86::InterruptGuard guard;
        g_volumes.push_back(*fs);
    }
    owner.leave();
    return {};
}

nk::ErrorOr unmount_file_system(const char* cwd, const char* path_text) {
    auto path = TRY(kernel::fs::Path::resolve(cwd, path_text));
    kernel::fs::FileSystem* mounted = TRY(kernel::fs::vfs().mounted_at(path.c_str()));
    ExtensionFileSystem* fs = nullptr;
    {
        x86::InterruptGuard guard;
        for (auto& volume : g_volumes) {
            if (&volume == mounted)
                fs = &volume;
        }
    }
    if (!fs)
        return nk::Error::NotPermitted;
    // Off the list first (sync_volumes finds volumes there, under the VFS lock the unmount
    // takes next), back on it if the VFS refuses.
    {
        x86::InterruptGuard guard;
        g_volumes.remove(*fs);
    }
    if (auto unmounted = kernel::fs::vfs().unmount(path.c_str()); unmounted.is_error()) {
        x86::InterruptGuard guard;
        g_volumes.push_back(*fs);
        return unmounted.error();
    }
    // Still bound: the extension writes back and lets go of the volume, then the binding leaves
    // its tracker. Orphaned or dead: nothing to tell anyone.
    VolumeBinding* bound = nullptr;
    {
        x86::InterruptGuard guard;
        if (fs->bound.binding && fs->bound.binding->registration.enter())
            bound = fs->bound.binding;
    }
    fs->bound.end(); // whoever waits for a restarted file system: it will not come here
    if (bound) {
        ClassRegistration& registration = bound->registration;
        if (auto unmount = bound->ops.unmount)
            (void)registration.call(reinterpret_cast<const void*>(unmount), long(bound->volume));
        registration.leave();
        if (registration.extension)
            registration.extension->tracker.remove(registration.tracked);
        registration.retire();
    }
    delete fs;
    return {};
}

nk::usize mounted_volume_count() {
    x86::InterruptGuard guard;
    return g_volumes.size();
}

void finish_fs_recovery(Extension& extension) {
    // Each orphan once (a remount that crashes again leaves it orphaned for the next recovery).
    // Remounting calls into the extension: found under interrupts off, called with them on.
    nk::usize count = mounted_volume_count();
    for (nk::usize i = 0; i < count; ++i) {
        ExtensionFileSystem* orphan = nullptr;
        {
            x86::InterruptGuard guard;
            nk::usize index = 0;
            for (auto& volume : g_volumes) {
                if (index++ == i && volume.owner == &extension && volume.bound.orphaned)
                    orphan = &volume;
            }
        }
        if (!orphan)
            continue;
        if (extension.state == ExtensionState::Running)
            remount(*orphan);
        else
            end_volume(*orphan, "its file system did not come back");
    }
}

nk::usize format_fs_recovery(const Extension& extension, char* buffer, nk::usize size) {
    nk::usize used = 0;
    x86::InterruptGuard guard;
    for (auto& volume : g_volumes) {
        if (volume.owner != &extension || used >= size)
            continue;
        int wrote = snprintf(
            buffer + used, size - used,
            "  volume %s on %s: %llu requests, %llu replayed, %llu remounts, last interruption "
            "%llu us, %llu inodes held by the kernel (open files, working directories); "
            "answered by the proxy: %llu lookups, %llu stats, %llu reads%s\n",
            volume.mount_path, volume.device_name, (unsigned long long)volume.requests,
            (unsigned long long)volume.bound.replays, (unsigned long long)volume.remounts,
            (unsigned long long)(volume.bound.interrupted_ns / 1000),
            (unsigned long long)volume.live_inodes, (unsigned long long)volume.name_hits,
            (unsigned long long)volume.attribute_hits, (unsigned long long)volume.read_hits,
            volume.bound.orphaned ? " (waiting for its file system)"
                                  : (volume.bound.dead ? " (its file system is gone)" : ""));
        if (wrote > 0)
            used = nk::min(size, used + nk::usize(wrote));
    }
    return used;
}

namespace {
ExtensionFileSystem* extension_volume(kernel::fs::FileSystem& file_system) {
    x86::InterruptGuard guard;
    for (auto& volume : g_volumes) {
        if (&volume == &file_system)
            return &volume;
    }
    return nullptr;
}
} // namespace

const char* volume_device(kernel::fs::FileSystem& file_system) {
    ExtensionFileSystem* fs = extension_volume(file_system);
    return fs ? fs->device_name : nullptr;
}

nk::Result<nooks_fs_usage> volume_usage(kernel::fs::FileSystem& file_system) {
    ExtensionFileSystem* fs = extension_volume(file_system);
    if (!fs)
        return nk::Error::NotSupported;
    nooks_fs_request request = {};
    request.operation = NOOKS_FS_STATFS;
    request.node = fs->root_number;
    TRY(fs->perform(request, nullptr, false));
    return request.usage;
}

nk::ErrorOr sync_volumes() {
    nk::ErrorOr result = {};
    // Every volume, one at a time, each found and asked under the VFS lock like any other
    // request (a file system sees one request at a time, and an unmount cannot slip between).
    nk::usize count = mounted_volume_count();
    for (nk::usize i = 0; i < count; ++i) {
        kernel::MutexLocker locker(kernel::fs::vfs().mutex());
        ExtensionFileSystem* fs = nullptr;
        {
            x86::InterruptGuard guard;
            nk::usize index = 0;
            for (auto& volume : g_volumes) {
                if (index++ == i)
                    fs = &volume;
            }
        }
        if (!fs)
            break;
        nooks_fs_request request = {};
        request.operation = NOOKS_FS_SYNC;
        request.node = fs->root_number;
        if (auto synced = fs->perform(request, nullptr, false);
            synced.is_error() && result.has_value())
            result = synced.error();
    }
    return result;
}

} // namespace nooks
