#include <kernel/fs/file.h>
#include <kernel/fs/file_system.h>
#include <kernel/fs/inode.h>
#include <kernel/fs/vfs.h>

#include <string.h>

namespace kernel::fs {

using nk::Error;
using nk::abi::FileType;
using nk::abi::MAX_NAME;

namespace {

RefPtr<Inode> adopt(Inode* inode) {
    return RefPtr<Inode>::adopt(inode);
}

// Memory for a File, given back unless a File was constructed in it.
struct FileMemory {
    FileMemory() : block(kmalloc(sizeof(File))) {}
    ~FileMemory() { kfree(block); }
    FileMemory(const FileMemory&) = delete;
    FileMemory& operator=(const FileMemory&) = delete;

    void* block;
};

} // namespace

Vfs::~Vfs() {
    MutexLocker locker(m_mutex);
    while (Mount* mount = m_mounts.pop_front()) {
        if (mount->covered)
            mount->covered->unref();
        delete mount;
    }
    m_root_mount = nullptr;
}

Inode* Vfs::root_locked() const {
    return m_root_mount ? &m_root_mount->fs->root() : nullptr;
}

Vfs::Mount* Vfs::mount_on_locked(const Inode& covered) const {
    for (Mount& mount : m_mounts) {
        if (mount.covered == &covered)
            return &mount;
    }
    return nullptr;
}

RefPtr<Inode> Vfs::cross_mount_locked(RefPtr<Inode> inode) {
    if (!inode->is_directory())
        return inode;
    // Mounts do not stack (mount() refuses a mount root), so one step is enough.
    if (Mount* mount = mount_on_locked(*inode))
        return RefPtr<Inode>(mount->fs->root());
    return inode;
}

nk::Result<RefPtr<Inode>> Vfs::walk_locked(const Path& path) {
    if (!m_root_mount)
        return Error::NoEntry;
    RefPtr<Inode> current(m_root_mount->fs->root());
    nk::usize position = 0;
    char name[MAX_NAME];
    while (path.next_component(position, name)) {
        if (!current->is_directory())
            return Error::NotDirectory;
        RefPtr<Inode> child = adopt(TRY(current->lookup(name)));
        current = cross_mount_locked(nk::move(child));
    }
    return current;
}

nk::Result<RefPtr<Inode>> Vfs::walk_parent_locked(const Path& path) {
    RefPtr<Inode> parent = TRY(walk_locked(path.parent()));
    if (!parent->is_directory())
        return Error::NotDirectory;
    return parent;
}

nk::ErrorOr Vfs::mount(const char* path_text, FileSystem& fs) {
    Path path = TRY(Path::resolve("/", path_text));
    MutexLocker locker(m_mutex);
    for (Mount& mount : m_mounts) {
        if (mount.fs == &fs)
            return Error::Busy;
    }
    RefPtr<Inode> covered;
    if (!m_root_mount) {
        if (!path.is_root())
            return Error::NoEntry;
    } else {
        if (path.is_root())
            return Error::Busy;
        covered = TRY(walk_locked(path));
        if (!covered->is_directory())
            return Error::NotDirectory;
        // The walk already crossed into whatever is mounted here; stacking mounts is refused.
        if (&covered->file_system().root() == covered.get())
            return Error::Busy;
    }
    auto* mount = new Mount;
    if (!mount)
        return Error::NoMemory;
    mount->fs = &fs;
    mount->covered = covered.leak();
    strncpy(mount->path, path.c_str(), sizeof mount->path - 1);
    mount->path[sizeof mount->path - 1] = 0;
    m_mounts.push_back(*mount);
    if (!m_root_mount)
        m_root_mount = mount;
    return {};
}

void Vfs::for_each_mount(void (*visit)(const char*, FileSystem&, void*), void* context) {
    MutexLocker locker(m_mutex);
    for (Mount& mount : m_mounts)
        visit(mount.path, *mount.fs, context);
}

nk::Result<FileSystem*> Vfs::mounted_at(const char* path_text) {
    Path path = TRY(Path::resolve("/", path_text));
    MutexLocker locker(m_mutex);
    RefPtr<Inode> inode = TRY(walk_locked(path));
    for (Mount& mount : m_mounts) {
        if (&mount.fs->root() == inode.get())
            return mount.fs;
    }
    return Error::Invalid;
}

nk::Result<FileSystem*> Vfs::unmount(const char* path_text) {
    Path path = TRY(Path::resolve("/", path_text));
    MutexLocker locker(m_mutex);
    Mount* target = nullptr;
    {
        RefPtr<Inode> inode = TRY(walk_locked(path));
        for (Mount& mount : m_mounts) {
            if (&mount.fs->root() == inode.get())
                target = &mount;
        }
    }
    if (!target)
        return Error::Invalid;
    FileSystem* unmounted = target->fs;
    if (target->fs->open_file_count() != 0)
        return Error::Busy;
    for (Mount& mount : m_mounts) {
        if (mount.covered && &mount.covered->file_system() == target->fs)
            return Error::Busy;
    }
    if (target == m_root_mount && m_mounts.size() > 1)
        return Error::Busy;
    m_mounts.remove(*target);
    if (target->covered)
        target->covered->unref();
    if (target == m_root_mount)
        m_root_mount = nullptr;
    delete target;
    return unmounted;
}

nk::Result<File*> Vfs::open(const char* cwd, const char* path_text, nk::u32 flags) {
    using namespace nk::abi;
    nk::u32 access = flags & O_ACCMODE;
    if (access == O_ACCMODE)
        return Error::Invalid;
    bool create = flags & O_CREAT;
    Path path = TRY(Path::resolve(cwd, path_text));
    // The File's memory is taken first, so that running out of it cannot leave an open that
    // created a file yet failed.
    FileMemory memory;
    if (!memory.block)
        return Error::NoMemory;

    MutexLocker locker(m_mutex);
    RefPtr<Inode> inode;
    if (create && !path.is_root()) {
        RefPtr<Inode> parent = TRY(walk_parent_locked(path));
        auto found = parent->lookup(path.last_name());
        if (found.has_value()) {
            inode = cross_mount_locked(adopt(found.value()));
            if (flags & O_EXCL)
                return Error::Exists;
        } else if (found.error() != Error::NoEntry) {
            return found.error();
        } else {
            // "name/" can only ever name a directory, which open() does not create.
            if (path.requires_directory())
                return Error::IsDirectory;
            inode = adopt(TRY(parent->create_file(path.last_name())));
        }
    } else {
        if (create && (flags & O_EXCL))
            return Error::Exists;
        inode = TRY(walk_locked(path));
    }

    if (inode->is_directory()) {
        if (access != O_RDONLY || create)
            return Error::IsDirectory;
    } else if (path.requires_directory() || (flags & O_DIRECTORY)) {
        return Error::NotDirectory;
    }

    File* file = new (memory.block) File(*this, *inode, flags);
    memory.block = nullptr;
    if ((flags & O_TRUNC) && access != O_RDONLY && inode->type() == FileType::Regular) {
        if (auto result = inode->truncate(0); result.is_error()) {
            file->release_locked();
            return result.error();
        }
    }
    return file;
}

nk::Result<File*> Vfs::open_unnamed(Inode& inode, nk::u32 flags) {
    if ((flags & nk::abi::O_ACCMODE) == nk::abi::O_ACCMODE)
        return Error::Invalid;
    FileMemory memory;
    if (!memory.block)
        return Error::NoMemory;
    MutexLocker locker(m_mutex);
    File* file = new (memory.block) File(*this, inode, flags);
    memory.block = nullptr;
    return file;
}

nk::Result<nk::abi::Stat> Vfs::stat(const char* cwd, const char* path_text) {
    Path path = TRY(Path::resolve(cwd, path_text));
    MutexLocker locker(m_mutex);
    RefPtr<Inode> inode = TRY(walk_locked(path));
    if (path.requires_directory() && !inode->is_directory())
        return Error::NotDirectory;
    return inode->stat();
}

nk::ErrorOr Vfs::mkdir(const char* cwd, const char* path_text) {
    Path path = TRY(Path::resolve(cwd, path_text));
    MutexLocker locker(m_mutex);
    if (path.is_root())
        return Error::Exists;
    RefPtr<Inode> parent = TRY(walk_parent_locked(path));
    adopt(TRY(parent->make_directory(path.last_name())));
    return {};
}

nk::ErrorOr Vfs::unlink(const char* cwd, const char* path_text) {
    Path path = TRY(Path::resolve(cwd, path_text));
    MutexLocker locker(m_mutex);
    if (path.is_root())
        return Error::IsDirectory;
    RefPtr<Inode> parent = TRY(walk_parent_locked(path));
    {
        RefPtr<Inode> child = adopt(TRY(parent->lookup(path.last_name())));
        if (child->is_directory())
            return Error::IsDirectory;
        if (path.requires_directory())
            return Error::NotDirectory;
    }
    return parent->unlink(path.last_name());
}

nk::ErrorOr Vfs::rmdir(const char* cwd, const char* path_text) {
    Path path = TRY(Path::resolve(cwd, path_text));
    MutexLocker locker(m_mutex);
    if (path.is_root())
        return Error::Busy;
    RefPtr<Inode> parent = TRY(walk_parent_locked(path));
    {
        RefPtr<Inode> child = adopt(TRY(parent->lookup(path.last_name())));
        if (!child->is_directory())
            return Error::NotDirectory;
        if (mount_on_locked(*child))
            return Error::Busy;
    }
    return parent->remove_directory(path.last_name());
}

nk::ErrorOr Vfs::rename(const char* cwd, const char* from_text, const char* to_text) {
    Path from = TRY(Path::resolve(cwd, from_text));
    Path to = TRY(Path::resolve(cwd, to_text));
    MutexLocker locker(m_mutex);
    if (from.is_root() || to.is_root())
        return Error::Busy;

    RefPtr<Inode> from_parent = TRY(walk_parent_locked(from));
    bool moving_directory;
    {
        RefPtr<Inode> source = adopt(TRY(from_parent->lookup(from.last_name())));
        moving_directory = source->is_directory();
        if (moving_directory && mount_on_locked(*source))
            return Error::Busy;
        if (!moving_directory && (from.requires_directory() || to.requires_directory()))
            return Error::NotDirectory;
    }
    if (from == to)
        return {};
    // Lexical containment is exact: there are no links that could make two paths one place.
    if (moving_directory && to.is_within(from))
        return Error::Invalid;

    RefPtr<Inode> to_parent = TRY(walk_parent_locked(to));
    if (&to_parent->file_system() != &from_parent->file_system())
        return Error::NotSupported;
    auto existing = to_parent->lookup(to.last_name());
    if (existing.has_value()) {
        RefPtr<Inode> target = adopt(existing.value());
        if (target->is_directory() && mount_on_locked(*target))
            return Error::Busy;
        if (moving_directory && !target->is_directory())
            return Error::NotDirectory;
        if (!moving_directory && target->is_directory())
            return Error::IsDirectory;
    } else if (existing.error() != Error::NoEntry) {
        return existing.error();
    }
    return from_parent->rename(from.last_name(), *to_parent, to.last_name());
}

nk::ErrorOr Vfs::truncate(const char* cwd, const char* path_text, nk::u64 length) {
    Path path = TRY(Path::resolve(cwd, path_text));
    MutexLocker locker(m_mutex);
    RefPtr<Inode> inode = TRY(walk_locked(path));
    if (inode->is_directory())
        return Error::IsDirectory;
    if (path.requires_directory())
        return Error::NotDirectory;
    if (inode->is_device())
        return Error::Invalid;
    return inode->truncate(length);
}

nk::Result<Path> Vfs::resolve_directory(const char* cwd, const char* path_text) {
    Path path = TRY(Path::resolve(cwd, path_text));
    MutexLocker locker(m_mutex);
    RefPtr<Inode> inode = TRY(walk_locked(path));
    if (!inode->is_directory())
        return Error::NotDirectory;
    return path;
}

} // namespace kernel::fs
