// The virtual file system: one tree of mounted file systems, and the path-based operations the
// system calls use. Paths arrive as NUL-terminated kernel strings, relative ones resolved against
// `cwd`, the caller's working directory as a normalised absolute path (see path.h).
//
// One coarse mutex guards the mount table and every inode operation. It is never held across a
// device's read or write (see File), which may block indefinitely.
#pragma once

#include <kernel/fs/heap_object.h>
#include <kernel/fs/path.h>
#include <kernel/fs/ref_ptr.h>
#include <kernel/sync/mutex.h>
#include <nk/intrusive_list.h>
#include <nk/result.h>
#include <nk/syscall_abi.h>

namespace kernel::fs {

class File;
class FileSystem;
class Inode;

class Vfs {
public:
    Vfs() = default;
    // Drops every mount (the file systems themselves belong to their owners).
    ~Vfs();
    Vfs(const Vfs&) = delete;
    Vfs& operator=(const Vfs&) = delete;

    // Mounts `fs` on the existing directory `path` (absolute); the first mount must be "/".
    // NotDirectory for a non-directory, Busy when something is already mounted there or `fs` is
    // mounted elsewhere.
    nk::ErrorOr mount(const char* path, FileSystem& fs);
    // Invalid unless `path` is where a file system is mounted; Busy while files are open on it or
    // another file system is mounted inside it ("/" only once it is the last mount). Returns the
    // file system that was mounted there (its owner destroys it).
    nk::Result<FileSystem*> unmount(const char* path);
    // The file system mounted on `path` (absolute), or Error::Invalid when none is mounted there.
    nk::Result<FileSystem*> mounted_at(const char* path);

    // Opens with abi::O_* flags; the File comes with a reference for the caller. Errors:
    // NoEntry, NotDirectory (a path component, O_DIRECTORY or a trailing slash on a
    // non-directory), Exists (O_CREAT|O_EXCL), IsDirectory (a directory opened for writing or
    // with O_CREAT), Invalid (access mode 3). O_TRUNC empties a regular file opened for writing.
    nk::Result<File*> open(const char* cwd, const char* path, nk::u32 flags);
    // A File on an inode that no directory names (a socket), with a reference for the caller.
    nk::Result<File*> open_unnamed(Inode& inode, nk::u32 flags);
    nk::Result<nk::abi::Stat> stat(const char* cwd, const char* path);
    // Exists when anything has that name.
    nk::ErrorOr mkdir(const char* cwd, const char* path);
    // Files and devices only: IsDirectory for a directory.
    nk::ErrorOr unlink(const char* cwd, const char* path);
    // NotEmpty, NotDirectory; Busy for "/" or a mount point.
    nk::ErrorOr rmdir(const char* cwd, const char* path);
    // Files and directories within one file system (NotSupported across file systems: there is
    // no EXDEV). Replaces an existing target of the same kind; IsDirectory / NotDirectory when
    // the kinds differ, NotEmpty for a non-empty target directory, Invalid when a directory
    // would move below itself, Busy for "/" or a mount point.
    nk::ErrorOr rename(const char* cwd, const char* from, const char* to);
    // IsDirectory for a directory, Invalid for a device.
    nk::ErrorOr truncate(const char* cwd, const char* path, nk::u64 length);
    // For chdir: the normalised path of a directory (NotDirectory otherwise).
    nk::Result<Path> resolve_directory(const char* cwd, const char* path);

    // Every mount in the order they were made: its path and file system (`mount`, `df`). The
    // visitor runs under the VFS lock and must not call back into the VFS.
    void for_each_mount(void (*visit)(const char* path, FileSystem& fs, void* context),
                        void* context);

    // For code that works on inodes directly (initrd extraction, devfs registration).
    Mutex& mutex() { return m_mutex; }
    // Under mutex(): the root directory of the whole tree (nullptr before "/" is mounted),
    // without a new reference.
    Inode* root_locked() const;

private:
    struct Mount : HeapObject {
        nk::IntrusiveListNode node;
        FileSystem* fs;
        // The directory the mount hides, with a reference; nullptr for "/".
        Inode* covered;
        char path[nk::abi::MAX_PATH];
    };

    nk::Result<RefPtr<Inode>> walk_locked(const Path& path);
    // The directory that will hold `path`'s last component.
    nk::Result<RefPtr<Inode>> walk_parent_locked(const Path& path);
    // `inode`, or the root of the file system mounted on it.
    RefPtr<Inode> cross_mount_locked(RefPtr<Inode> inode);
    Mount* mount_on_locked(const Inode& covered) const;

    Mutex m_mutex;
    Mount* m_root_mount = nullptr;
    nk::IntrusiveList<Mount, &Mount::node> m_mounts;
};

} // namespace kernel::fs
