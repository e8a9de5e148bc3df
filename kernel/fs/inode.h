// An inode: one file, directory or device of some file system, as the VFS sees it. File
// systems (ramfs, devfs, and later the VFAT extension) subclass it.
//
// Lifetime: an intrusive reference count. A new inode starts with one reference, held by its
// creator. A directory holds a reference to each child it names; an open File and a walk in
// progress hold their own. Unlinking drops only the directory's reference, so an open file whose
// name is gone stays readable and writable until its last File is closed (POSIX behaviour); the
// last unref() deletes the inode.
//
// Locking: every operation, and ref()/unref(), runs under the VFS lock — except read() and
// write() of a CharDevice inode, which the VFS calls without it because a device may block for a
// long time (a console read waits for a key). Device inodes must therefore keep what those two
// touch immutable.
#pragma once

#include <kernel/fs/heap_object.h>
#include <nk/result.h>
#include <nk/syscall_abi.h>
#include <nk/types.h>

namespace kernel::fs {

class FileSystem;

class Inode : public HeapObject {
public:
    Inode(const Inode&) = delete;
    Inode& operator=(const Inode&) = delete;

    FileSystem& file_system() const { return m_file_system; }
    nk::abi::FileType type() const { return m_type; }
    bool is_directory() const { return m_type == nk::abi::FileType::Directory; }
    bool is_device() const { return m_type == nk::abi::FileType::CharDevice; }
    // Reads and writes that may block for long, so the VFS makes them without its lock:
    // devices and sockets.
    bool has_unlocked_io() const {
        return m_type == nk::abi::FileType::CharDevice || m_type == nk::abi::FileType::Socket;
    }
    nk::u64 number() const { return m_number; }

    void ref() { ++m_references; }
    void unref() {
        if (--m_references == 0)
            delete this;
    }
    nk::u32 reference_count() const { return m_references; }
    // Inodes alive across all file systems (for leak checks).
    static nk::usize live_count() { return s_live_count; }

    // Directory operations. Every `name` is one component: NUL-terminated, non-empty, not "."
    // or "..", at most abi::MAX_NAME - 1 bytes (the VFS guarantees this). An Inode* returned
    // carries a reference for the caller. Defaults: NotDirectory on a non-directory.

    // NoEntry when absent.
    virtual nk::Result<Inode*> lookup(const char* name);
    // Exists when the name is taken; NoSpace when the file system is full.
    virtual nk::Result<Inode*> create_file(const char* name);
    virtual nk::Result<Inode*> make_directory(const char* name);
    // Removes a non-directory entry (the VFS has checked that it is not a directory).
    virtual nk::ErrorOr unlink(const char* name);
    // Removes a directory entry; NotEmpty unless the directory is empty.
    virtual nk::ErrorOr remove_directory(const char* name);
    // Moves entry `name` to `new_name` in `new_parent`, a directory of the same file system.
    // The VFS has checked that the entry exists, that the types of it and of an existing target
    // agree (both directories or both not) and that a directory is not moved below itself; the
    // file system replaces an existing target, or fails with NotEmpty when the target is a
    // non-empty directory. Renaming an entry onto itself succeeds and changes nothing.
    virtual nk::ErrorOr rename(const char* name, Inode& new_parent, const char* new_name);
    // The entry at `index` (0, 1, ...); false past the last one. "." and ".." are not listed.
    virtual nk::Result<bool> read_directory(nk::u64 index, nk::abi::DirEntry& entry);

    // Data operations. Defaults: IsDirectory on a directory, Invalid otherwise.

    // Bytes read; 0 at or past the end.
    virtual nk::Result<nk::usize> read(nk::u64 offset, nk::u8* buffer, nk::usize length);
    // Bytes written (a regular file grows, the gap reads as zeros). All or nothing for ramfs:
    // NoSpace leaves the data unchanged.
    virtual nk::Result<nk::usize> write(nk::u64 offset, const nk::u8* buffer, nk::usize length);
    virtual nk::ErrorOr truncate(nk::u64 length);

    // An error when the file system cannot say (a volume whose driver is gone): a size of 0
    // would be a wrong answer, not a missing one.
    virtual nk::Result<nk::abi::Stat> stat() const = 0;

protected:
    Inode(FileSystem& file_system, nk::abi::FileType type, nk::u64 number)
        : m_file_system(file_system), m_type(type), m_number(number) {
        ++s_live_count;
    }
    virtual ~Inode() { --s_live_count; }
    // For a file system whose node numbers follow the on-disk location (FAT: the directory
    // entry's position), when a rename moves a node that is in use.
    void renumber(nk::u64 number) { m_number = number; }

private:
    static inline nk::usize s_live_count = 0;

    FileSystem& m_file_system;
    nk::abi::FileType m_type;
    nk::u64 m_number;
    nk::u32 m_references = 1;
};

} // namespace kernel::fs
