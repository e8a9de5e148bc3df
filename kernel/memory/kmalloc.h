// The kernel heap's C-style entry points (also what operator new/delete use).
#pragma once

#include <stddef.h>

extern "C" {
// nullptr when out of memory. A heap that finds its own structures damaged panics: that is a
// broken kernel invariant, not an error to propagate.
void* kmalloc(size_t size);
void* kzalloc(size_t size);
// Panics on a double free or a pointer the heap never handed out.
void kfree(void* pointer);
}
