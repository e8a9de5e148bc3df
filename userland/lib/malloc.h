// The program heap: the kernel's size-class Heap (kernel/memory/heap.h) over pages from the
// MapPages system call. Blocks are 16-byte aligned; up to about 4 MiB per allocation.
//
// Like the kernel heap, a damaged heap is not an error to recover from: free() of a pointer that
// was never handed out (or twice), or a block written after its free, prints a message and exits
// the program with status 127.
#pragma once

#include <stddef.h>

extern "C" {

// nullptr when out of memory.
void* malloc(size_t size);
void* calloc(size_t count, size_t size);
// realloc(nullptr, n) is malloc(n); realloc(p, 0) frees p and returns nullptr. On failure the old
// block is left untouched and nullptr is returned.
void* realloc(void* pointer, size_t size);
void free(void* pointer);

} // extern "C"
