// The VFS side of extension file systems: ExtensionFileSystem and ExtensionInode forward each
// inode operation as one nooks_fs_request. Inodes are not cached: a lookup makes a fresh
// ExtensionInode for the node number the extension returns (node numbers are the identity, and
// the extension keeps the state), so nothing in the kernel goes stale when it changes.
#include <arch/x86/interrupt_state.h>
#include <kernel/fs/file_system.h>
#include <kernel/fs/fs.h>
#include <kernel/fs/inode.h>
#include <kernel/fs/path.h>
#include <kernel/fs/vfs.h>
#include <kernel/memory/kmalloc.h>
#include <nooks/device_classes.h>
#include <nooks/extension_manager.h>
#include <nooks/fs_proxy.h>
#include <nooks/xpc.h>

#include <string.h>

namespace nooks {

namespace {

using kernel::fs::Inode;
using nk::abi::FileType;

constexpr nk::usize DATA_PER_CROSSING = 64 * 1024;

class ExtensionFileSystem;

struct VolumeRecord {
    ClassRegistration registration; // first: tracked against the extension
    ExtensionFileSystem* fs;
};

nk::ErrorOr status_of(nk::Result<long> result) {
    if (result.is_error())
        return result.error();
    if (result.value() < 0)
        return nk::Error(int(-result.value()));
    return {};
}

FileType file_type_of(nk::u32 type) {
    return type == NOOKS_FS_DIRECTORY ? FileType::Directory : FileType::Regular;
}

class ExtensionFileSystem final : public kernel::fs::FileSystem {
public:
    ExtensionFileSystem(const char* type, const nooks_fs_ops& ops) : m_ops(ops) {
        strncpy(m_name, type, sizeof m_name - 1);
    }
    ~ExtensionFileSystem() override;

    Inode& root() override { return *m_root; }
    const nooks_fs_ops& ops() const { return m_ops; }
    const char* name() const override { return m_name; }

    // One operation. `data` (`length` bytes) goes to the extension for writes and comes back
    // for reads; request.transferred and request.result come back either way.
    nk::ErrorOr perform(nooks_fs_request& request, nk::u8* data, bool data_out);

    VolumeRecord record = {};
    void* volume = nullptr;
    Inode* m_root = nullptr;
    nk::IntrusiveListNode node; // g_volumes

private:
    nooks_fs_ops m_ops;
    char m_name[16] = {};
};

class ExtensionInode final : public Inode {
public:
    ExtensionInode(ExtensionFileSystem& fs, const nooks_fs_node& node)
        : Inode(fs, file_type_of(node.type), node.number) {}

    nk::Result<Inode*> lookup(const char* name) override { return named(NOOKS_FS_LOOKUP, name); }
    nk::Result<Inode*> create_file(const char* name) override {
        return named(NOOKS_FS_CREATE, name);
    }
    nk::Result<Inode*> make_directory(const char* name) override {
        return named(NOOKS_FS_MKDIR, name);
    }
    nk::ErrorOr unlink(const char* name) override { return simple(NOOKS_FS_UNLINK, name); }
    nk::ErrorOr remove_directory(const char* name) override { return simple(NOOKS_FS_RMDIR, name); }
    nk::ErrorOr rename(const char* name, Inode& new_parent, const char* new_name) override {
        nooks_fs_request request = prepare(NOOKS_FS_RENAME, name);
        request.other = new_parent.number();
        strncpy(request.other_name, new_name, NOOKS_FS_NAME_MAX);
        return fs().perform(request, nullptr, false);
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
        return transfer(NOOKS_FS_WRITE, offset, const_cast<nk::u8*>(buffer), length);
    }
    nk::ErrorOr truncate(nk::u64 length) override {
        if (is_directory())
            return nk::Error::IsDirectory;
        nooks_fs_request request = prepare(NOOKS_FS_TRUNCATE, nullptr);
        request.offset = length;
        return fs().perform(request, nullptr, false);
    }
    nk::abi::Stat stat() const override {
        auto* self = const_cast<ExtensionInode*>(this);
        nooks_fs_request request = self->prepare(NOOKS_FS_STAT, nullptr);
        nk::abi::Stat result = {0, number(), type(), 1, 0};
        if (self->fs().perform(request, nullptr, false).has_value()) {
            result.size = request.result.size;
            result.modified_ns = request.result.modified * 1000000000ull;
        }
        return result;
    }

private:
    ExtensionFileSystem& fs() { return static_cast<ExtensionFileSystem&>(file_system()); }

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
        TRY(fs().perform(request, nullptr, false));
        auto* inode = new ExtensionInode(fs(), request.result);
        if (!inode)
            return nk::Error::NoMemory;
        return static_cast<Inode*>(inode);
    }

    nk::ErrorOr simple(nk::u32 operation, const char* name) {
        if (!is_directory())
            return nk::Error::NotDirectory;
        nooks_fs_request request = prepare(operation, name);
        return fs().perform(request, nullptr, false);
    }

    nk::Result<nk::usize> transfer(nk::u32 operation, nk::u64 offset, nk::u8* data,
                                   nk::usize length) {
        if (is_directory())
            return nk::Error::IsDirectory;
        nk::usize done = 0;
        while (done < length) {
            nk::usize chunk = nk::min(length - done, DATA_PER_CROSSING);
            nooks_fs_request request = prepare(operation, nullptr);
            request.offset = offset + done;
            request.length = chunk;
            auto performed = fs().perform(request, data + done, operation == NOOKS_FS_READ);
            if (performed.is_error())
                return done ? nk::Result<nk::usize>(done) : performed.error();
            done += request.transferred;
            if (request.transferred < chunk)
                break; // end of file (read) or a full volume (write)
        }
        return done;
    }
};

nk::IntrusiveList<ExtensionFileSystem, &ExtensionFileSystem::node> g_volumes;

nk::ErrorOr ExtensionFileSystem::perform(nooks_fs_request& request, nk::u8* data, bool data_out) {
    ClassRegistration& registration = record.registration;
    auto function = reinterpret_cast<const void*>(m_ops.request);
    nk::usize length = data ? request.length : 0;
    if (!registration.isolated()) {
        request.buffer = data;
        return status_of(registration.call(function, long(volume), long(&request)));
    }
    if (!registration.enter())
        return nk::Error::NoDevice;
    nk::ErrorOr result = nk::Error::NoMemory;
    {
        BounceBuffer bounce(*registration.extension, sizeof(nooks_fs_request) + length);
        if (bounce.ok()) {
            auto* shared = bounce.as<nooks_fs_request>();
            auto* window = reinterpret_cast<nk::u8*>(shared + 1);
            *shared = request;
            shared->buffer = length ? window : nullptr;
            if (length && !data_out)
                memcpy(window, data, length);
            result =
                status_of(bounce.after(registration.call(function, long(volume), long(shared))));
            if (result.has_value()) {
                // Only what the extension may answer comes back, bounded.
                request.transferred = nk::min<nk::u64>(shared->transferred, request.length);
                request.result = shared->result;
                memcpy(request.name, shared->name, sizeof request.name);
                request.name[NOOKS_FS_NAME_MAX] = 0;
                if (data_out && length)
                    memcpy(data, window, request.transferred);
            }
        }
    }
    registration.leave();
    return result;
}

ExtensionFileSystem::~ExtensionFileSystem() {
    if (m_root)
        m_root->unref();
}

void release_volume(TrackedObject& tracked) {
    reinterpret_cast<VolumeRecord*>(&tracked)->registration.retire();
}

// The extension is gone (crash, unload): the volume stays mounted, its calls fail from now on.
void volume_retired(ClassRegistration&) {}

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
    auto* fs = new ExtensionFileSystem(type, registered->ops);
    if (!fs) {
        owner.leave();
        return nk::Error::NoMemory;
    }
    fs->record.registration.init(ObjectKind::Volume, release_volume, volume_retired,
                                 owner.extension);
    fs->record.registration.incarnation = owner.incarnation;
    fs->record.fs = fs;

    // The mount op's arguments: the device name, and where the volume and root node go.
    struct MountArguments {
        char device[32];
        void* volume;
        nooks_fs_node root;
    };
    MountArguments local = {};
    strncpy(local.device, device, sizeof local.device - 1);
    auto call_mount = [&](MountArguments& arguments) {
        return owner.call(reinterpret_cast<const void*>(registered->ops.mount),
                          long(arguments.device), long(&arguments.volume), long(&arguments.root));
    };
    nk::ErrorOr mounted = nk::Error::NoMemory;
    if (!owner.isolated()) {
        mounted = status_of(call_mount(local));
    } else if (BounceBuffer bounce(*owner.extension, sizeof(MountArguments)); bounce.ok()) {
        // Isolated, the arguments live in its heap.
        MountArguments& shared = *bounce.as<MountArguments>();
        shared = local;
        mounted = status_of(bounce.after(call_mount(shared)));
        local.volume = shared.volume;
        local.root = shared.root;
    }
    if (mounted.is_error()) {
        delete fs;
        owner.leave();
        return mounted.error();
    }
    fs->volume = local.volume;
    if (local.root.type != NOOKS_FS_DIRECTORY)
        local.root.type = NOOKS_FS_DIRECTORY; // a root is a directory, whatever it says
    fs->m_root = new ExtensionInode(*fs, local.root);
    nk::ErrorOr attached =
        fs->m_root ? kernel::fs::vfs().mount(path.c_str(), *fs) : nk::ErrorOr(nk::Error::NoMemory);
    if (attached.is_error()) {
        if (registered->ops.unmount)
            (void)owner.call(reinterpret_cast<const void*>(registered->ops.unmount),
                             long(fs->volume));
        delete fs;
        owner.leave();
        return attached.error();
    }
    if (owner.extension)
        owner.extension->tracker.add(fs->record.registration.tracked);
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
    TRY(kernel::fs::vfs().unmount(path.c_str()));
    {
        x86::InterruptGuard guard;
        g_volumes.remove(*fs);
    }
    ClassRegistration& registration = fs->record.registration;
    // Still alive: the extension writes back and lets go of the volume, then the record leaves
    // its tracker. Already retired (it crashed): nothing to tell it.
    if (registration.enter()) {
        if (auto unmount = fs->ops().unmount)
            (void)registration.call(reinterpret_cast<const void*>(unmount), long(fs->volume));
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

} // namespace nooks
