#include <kernel/memory/heap.h>
#include <nk_string.h>
#include <userland/lib/malloc.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>

namespace {

class MapPagesSource final : public kernel::PageSource {
public:
    // MapPages hands out naturally aligned, zeroed blocks of 2^order pages: the contract of
    // PageSource exactly.
    nk::Result<void*> allocate_pages(unsigned order) override { return sys::map_pages(order); }
    void free_pages(void* pages, unsigned order) override {
        // Failing to give memory back only wastes it; the program can go on.
        (void)sys::unmap_pages(pages, order);
    }
};

// Built on first use, so malloc works even from a static constructor that runs before this
// file's own.
kernel::Heap& heap() {
    static MapPagesSource pages;
    static kernel::Heap heap(pages);
    return heap;
}

[[noreturn]] void heap_damaged(const char* what, const void* pointer) {
    dprintf(2, "%s(%p): heap damaged or pointer not from malloc\n", what, pointer);
    sys::exit(127);
}

} // namespace

extern "C" {

void* malloc(size_t size) {
    auto block = heap().allocate(size);
    if (block.is_error()) {
        if (block.error() == nk::Error::Corrupt)
            heap_damaged("malloc", nullptr);
        return nullptr;
    }
    return block.value();
}

void* calloc(size_t count, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes))
        return nullptr;
    void* block = malloc(bytes);
    // Heap blocks come poisoned, not zeroed.
    if (block)
        nk::fill_memory(block, 0, bytes);
    return block;
}

void* realloc(void* pointer, size_t size) {
    if (!pointer)
        return malloc(size);
    if (size == 0) {
        free(pointer);
        return nullptr;
    }
    size_t old_size = heap().usable_size(pointer);
    if (old_size == 0)
        heap_damaged("realloc", pointer);
    if (size <= old_size)
        return pointer;
    void* block = malloc(size);
    if (!block)
        return nullptr;
    nk::copy_memory(block, pointer, old_size);
    free(pointer);
    return block;
}

void free(void* pointer) {
    if (!pointer)
        return;
    if (heap().free(pointer).is_error())
        heap_damaged("free", pointer);
}

// The C++ runtime's allocation hooks (libc/cxx_runtime.cpp): operator new/delete.
void* nk_allocate(size_t size) {
    return malloc(size);
}
void nk_deallocate(void* pointer) {
    free(pointer);
}

} // extern "C"
