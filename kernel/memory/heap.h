// The kernel heap: size-class slabs for small objects, whole page blocks for large ones.
//
// Pages come from an injected PageSource (the kernel hands it physmap addresses of buddy blocks;
// host tests hand it aligned host memory; later each Nooks domain gets a heap of its own).
//
// Every block is 16-byte aligned. Freed small blocks are filled with a poison pattern that is
// checked when the block is handed out again, so a write after free is caught where it is cheap
// to catch; a per-slab allocation bitmap catches double frees and frees of pointers that were
// never handed out.
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace kernel {

constexpr nk::usize HEAP_PAGE_SIZE = 4096;

class PageSource {
public:
    // 2^order contiguous pages, aligned to 2^order * HEAP_PAGE_SIZE bytes.
    virtual nk::Result<void*> allocate_pages(unsigned order) = 0;
    virtual void free_pages(void* pages, unsigned order) = 0;

protected:
    ~PageSource() = default;
};

struct HeapStats {
    nk::u64 bytes_requested;   // sum of sizes asked for by live allocations
    nk::u64 bytes_reserved;    // bytes of pages the heap holds from its PageSource
    nk::u64 live_allocations;  // allocate() minus successful free()
    nk::u64 total_allocations; // successful allocate() calls ever
    nk::u64 total_frees;       // successful free() calls ever
    nk::u64 large_allocations; // live allocations served by whole pages
    nk::u64 errors_detected;   // double frees, bad pointers, poison damage
};

class Heap {
public:
    // Largest size served from a slab; bigger requests get page blocks.
    static constexpr nk::usize MAX_SMALL_SIZE = 2048;

    explicit Heap(PageSource& pages) : m_pages(pages) {}
    Heap(const Heap&) = delete;
    Heap& operator=(const Heap&) = delete;

    // size 0 is treated as 1. Error::NoMemory when the page source is exhausted or the size is
    // absurd; Error::Corrupt when a freed block about to be reused was written after its free
    // (the block is then quarantined, never handed out).
    nk::Result<void*> allocate(nk::usize size);
    // Error::Invalid for a pointer this heap did not hand out or that is already free.
    nk::ErrorOr free(void* pointer);
    // Usable size of a live block (>= the size requested); 0 for a pointer that is not live.
    nk::usize usable_size(const void* pointer) const;

    HeapStats stats() const { return m_stats; }
    // Returns every completely empty slab page to the PageSource.
    void trim();

private:
    struct Slab;
    struct SizeClass {
        nk::usize object_size;
        Slab* partial; // slabs with at least one free object
        Slab* full;
    };
    static constexpr unsigned CLASS_COUNT = 8; // 16, 32, ... 2048

    nk::Result<void*> allocate_small(unsigned size_class, nk::usize size);
    nk::Result<void*> allocate_large(nk::usize size);

    PageSource& m_pages;
    SizeClass m_classes[CLASS_COUNT] = {};
    bool m_classes_ready = false;
    HeapStats m_stats = {};
};

} // namespace kernel
