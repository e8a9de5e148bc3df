// An open file: an inode, a position and the open flags. Descriptors share one File after dup2
// or when a child inherits them at spawn, and with it the position — as POSIX has it.
//
// A File holds a reference to its inode (so an unlinked file stays usable) and counts as open on
// the inode's file system (which cannot be unmounted meanwhile). Every operation takes the VFS
// lock, except a device's read and write, which must be free to block.
#pragma once

#include <kernel/fs/heap_object.h>
#include <nk/result.h>
#include <nk/syscall_abi.h>

namespace kernel::fs {

class Inode;
class Vfs;

class File : public HeapObject {
public:
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    // Safe without the VFS lock. The last unref() takes the VFS lock to release the inode, so it
    // must not be called with that lock held.
    void ref();
    void unref();

    // BadHandle unless opened for reading; IsDirectory on a directory.
    nk::Result<nk::usize> read(nk::u8* buffer, nk::usize length);
    // BadHandle unless opened for writing. With O_APPEND each write goes to the end of the file
    // as it is at that moment.
    nk::Result<nk::usize> write(const nk::u8* buffer, nk::usize length);
    // The new position. Invalid for a bad `whence` or a position before 0 (or SEEK_END on a
    // directory); Overflow past the largest signed 64-bit position. A position past the end is
    // allowed: a later write fills the gap with zeros. Devices have no position (always 0).
    nk::Result<nk::u64> seek(nk::i64 offset, int whence);
    // Up to `count` entries from the current position on; 0 at the end. NotDirectory for a file.
    nk::Result<nk::usize> read_directory(nk::abi::DirEntry* entries, nk::usize count);
    nk::Result<nk::abi::Stat> stat();
    // BadHandle unless opened for writing; IsDirectory on a directory; Invalid on a device.
    nk::ErrorOr truncate(nk::u64 length);

    nk::u32 flags() const { return m_flags; }
    bool can_read() const;
    bool can_write() const;
    nk::abi::FileType type() const { return m_type; }
    // Its inode, for as long as the File is referenced (a socket's system calls reach the
    // socket through it).
    Inode& inode() const { return *m_inode; }

    // Files alive (for leak checks).
    static nk::usize live_count() { return s_live_count; }

private:
    friend class Vfs;
    // Under the VFS lock; takes its own reference to `inode`.
    File(Vfs& vfs, Inode& inode, nk::u32 flags);
    ~File() = default;
    // Under the VFS lock: gives up the inode and frees the File.
    void release_locked();

    static inline nk::usize s_live_count = 0;

    Vfs& m_vfs;
    Inode* m_inode;
    nk::abi::FileType m_type;
    nk::u32 m_flags;
    nk::u64 m_offset = 0;
    nk::u32 m_references = 1;
};

} // namespace kernel::fs
