// The kernel heap: size-class slabs for small objects, whole page blocks for large ones.
//
// Pages come from an injected PageSource (the kernel hands it physmap addresses of buddy blocks;
// host tests hand it aligned host memory; later each Nooks domain gets a heap of its own).
//
// Every block is 16-byte aligned. Freed small blocks are filled with a poison pattern that is
// checked when the block is handed out again, so a write after free is caught where it is cheap
// to catch; a per-slab allocation bitmap catches double frees and frees of pointers that were
// never handed out.
//
// The metadata lives in the pages themselves, and those pages may be writable by someone the
// kernel does not trust (an isolated extension's heap is in its own domain). A PageSource that
// says so through owns() gets a heap that checks every pointer it finds in its pages before
// following it, and reports damage as Error::Corrupt instead of writing where it points.
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
    // Whether [address, address+length) lies entirely inside one block this source handed out
    // and has not taken back. The heap asks before it reads or writes a page header it has not
    // validated, so a source whose pages someone else can write answers exactly; the default,
    // for pages only the kernel writes (the kernel heap over the physmap), trusts them.
    virtual bool owns(const void* address, nk::usize length) const {
        (void)address;
        (void)length;
        return true;
    }

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
    nk::u64 errors_detected;   // double frees, bad pointers, poison damage, damaged metadata
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
    // (the block is then quarantined, never handed out), or when the heap's metadata in its pages
    // is damaged (see below).
    nk::Result<void*> allocate(nk::usize size);
    // Error::Invalid for a pointer this heap did not hand out or that is already free.
    // Error::Corrupt when the block's slab is linked to something that is not one of this heap's
    // slabs (the block is freed all the same), or for a large block whose header claims pages
    // the source does not own (nothing is done).
    //
    // Damage to the metadata (only possible when someone else can write the pages, see
    // PageSource::owns) is counted in errors_detected; the damaged list is dropped from the heap
    // (its pages stay with the source until it is destroyed) and the heap goes on without it.
    nk::ErrorOr free(void* pointer);
    // Usable size of a live block (>= the size requested); 0 for a pointer that is not live.
    nk::usize usable_size(const void* pointer) const;

    HeapStats stats() const { return m_stats; }
    // Returns every completely empty slab page to the PageSource (a damaged list on the way is
    // dropped and counted, like allocate() and free() do).
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

    // The slab header at `candidate` if it is a slab page of this heap's, of `size_class`, that
    // the page source owns; nullptr otherwise. Reads nothing before owns() agrees.
    Slab* trusted_slab(const void* candidate, unsigned size_class) const;
    // List surgery that checks the neighbours it is about to write first; false (and nothing
    // written) when they are not this heap's slabs or do not point back.
    bool unlink(Slab* slab, Slab*& head);
    bool push(Slab* slab, Slab*& head);
    bool move(Slab* slab, Slab*& from, Slab*& to);
    // Forgets a damaged list and counts the error: Error::Corrupt.
    nk::Error drop_list(Slab*& head);

    PageSource& m_pages;
    SizeClass m_classes[CLASS_COUNT] = {};
    nk::usize m_slab_pages = 0; // bounds list walks: a damaged list may be a cycle
    bool m_classes_ready = false;
    HeapStats m_stats = {};
};

} // namespace kernel
