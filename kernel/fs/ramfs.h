// ramfs: a file system that lives in kernel heap memory — the root file system, filled from the
// initrd at boot. Directories keep their entries in insertion order; a regular file's data is
// one kmalloc'd buffer that grows as written. Allocation failure is NoSpace and leaves the tree
// and the data as they were.
#pragma once

#include <kernel/fs/file_system.h>
#include <nk/result.h>

namespace kernel::fs {

class RamFs final : public FileSystem {
public:
    static nk::Result<RamFs*> create();
    // Releases the whole tree. Must be unmounted and hold no open files.
    ~RamFs() override;

    Inode& root() override { return *m_root; }
    const char* name() const override { return "ramfs"; }

    nk::u64 allocate_inode_number() { return m_next_inode_number++; }

private:
    RamFs() = default;

    Inode* m_root = nullptr;
    nk::u64 m_next_inode_number = 1;
};

} // namespace kernel::fs
