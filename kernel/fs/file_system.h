// A file system instance: a tree of inodes under one root, mountable on a directory of the VFS.
// The owner creates it and destroys it after unmounting it.
#pragma once

#include <kernel/fs/heap_object.h>
#include <nk/types.h>

namespace kernel::fs {

class Inode;

class FileSystem : public HeapObject {
public:
    FileSystem(const FileSystem&) = delete;
    FileSystem& operator=(const FileSystem&) = delete;
    virtual ~FileSystem() = default;

    // The root directory; the file system holds a reference to it for its whole life.
    virtual Inode& root() = 0;
    // "ramfs", "devfs", "vfat".
    virtual const char* name() const = 0;

    // Open Files on inodes of this file system; unmounting is refused while any exist. Kept by
    // the VFS under its lock.
    nk::u32 open_file_count() const { return m_open_files; }
    void file_opened() { ++m_open_files; }
    void file_closed() { --m_open_files; }

protected:
    FileSystem() = default;

private:
    nk::u32 m_open_files = 0;
};

} // namespace kernel::fs
