// Host stand-ins for the kernel services that kernel sources under test call: kmalloc/kfree
// (malloc, with accounting and failure injection) and kernel::Mutex (never blocks; a second
// lock() of a held mutex aborts, since on one host thread it could only be a deadlock).
#pragma once

#include <cstddef>

namespace host {

// Blocks from kmalloc/kzalloc not yet freed.
std::size_t kmalloc_live_blocks();
// The next `count` allocations succeed and every later one fails, until kmalloc_fail_never().
void kmalloc_fail_after(std::size_t count);
void kmalloc_fail_never();

} // namespace host
