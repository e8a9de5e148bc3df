// Base for the file-system layer's heap objects (inodes, open files, mounts, file systems).
//
// The allocation function is declared noexcept, which makes a `new` expression check its result:
// when the kernel heap is exhausted, `new RamFile(...)` yields nullptr instead of constructing
// into it, so callers turn that into an error value. `delete` goes back to kfree.
#pragma once

#include <kernel/memory/kmalloc.h>
#include <nk/types.h>

namespace kernel::fs {

class HeapObject {
public:
    static void* operator new(nk::usize size) noexcept { return kmalloc(size); }
    // Construction into memory reserved earlier (see Vfs::open).
    static void* operator new(nk::usize, void* where) noexcept { return where; }
    static void operator delete(void* pointer) { kfree(pointer); }
};

} // namespace kernel::fs
