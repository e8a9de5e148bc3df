// A user address space: its own PML4 whose kernel half (slots 256-511) points at the kernel's
// own tables, so kernel code and data look the same in every process, plus the user mappings
// the process owns. Every frame mapped here is recorded in a region and freed with it.
#pragma once

#include <arch/x86/page_table.h>
#include <nk/intrusive_list.h>
#include <nk/result.h>
#include <nk/types.h>

namespace kernel {

class AddressSpace {
public:
    static nk::Result<AddressSpace*> create();
    ~AddressSpace(); // frees every region's frames and every table page
    AddressSpace(const AddressSpace&) = delete;
    AddressSpace& operator=(const AddressSpace&) = delete;

    nk::u64 root() const { return m_table.root(); }

    // Maps `pages` fresh zero-filled frames at `virt` (page aligned, inside user space) as one
    // region. User access is implied. Error::Exists when anything is mapped there already.
    nk::ErrorOr map_anonymous(nk::u64 virt, nk::u64 pages, x86::PageFlags flags);
    // Unmaps exactly the region that starts at `virt` with `pages` pages and frees its frames.
    nk::ErrorOr unmap_region(nk::u64 virt, nk::u64 pages);
    nk::ErrorOr protect_region(nk::u64 virt, nk::u64 pages, x86::PageFlags flags);

    // 2^order pages from the heap area (MapPages), aligned to their size.
    nk::Result<nk::u64> allocate_heap_pages(unsigned order);

    // Where a user page's bytes live, through the physmap (for the loader).
    nk::Result<nk::u8*> kernel_view(nk::u64 virt);

    // True when [address, address + length) is inside user space and every page is mapped user
    // accessible (and writable when `write`).
    bool is_user_range(nk::u64 address, nk::u64 length, bool write) const;

    nk::u64 mapped_pages() const { return m_mapped_pages; }
    // At most this many user pages per address space (half of managed memory), and never the
    // last KERNEL_RESERVE_FRAMES free frames: one greedy process cannot starve the kernel.
    nk::u64 page_limit() const { return m_page_limit; }
    static constexpr nk::u64 KERNEL_RESERVE_FRAMES = 2048; // 8 MiB
    nk::u64 table_pages() const { return m_table.table_pages(); }

private:
    struct Region {
        nk::IntrusiveListNode node;
        nk::u64 base;
        nk::u64 pages;
    };

    explicit AddressSpace(x86::PageTable&& table) : m_table(nk::move(table)) {}
    void release_pages(nk::u64 base, nk::u64 pages);

    x86::PageTable m_table;
    nk::IntrusiveList<Region, &Region::node> m_regions;
    nk::u64 m_mapped_pages = 0;
    nk::u64 m_heap_next;
    nk::u64 m_page_limit;
};

} // namespace kernel
