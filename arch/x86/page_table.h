// The one page-table engine: builds and edits 4-level x86_64 page tables. It serves the kernel's
// address space, user processes and every Nooks protection domain.
//
// The engine only edits memory: it never loads CR3 and never flushes the TLB (the caller, which
// knows whether the tables are live, does that through arch/x86/mmu.h). Table pages come from an
// injected FrameSource, so host tests run it on fake physical memory and inject allocation
// failures.
#pragma once

#include <arch/x86/page_table_entry.h>
#include <nk/result.h>
#include <nk/types.h>

namespace x86 {

using PhysAddr = nk::u64;
using VirtAddr = nk::u64;

class FrameSource {
public:
    // One zero-filled 4 KiB frame.
    virtual nk::Result<PhysAddr> allocate_frame() = 0;
    virtual void free_frame(PhysAddr frame) = 0;
    // Where the engine can read and write a frame it was given.
    virtual void* phys_to_virt(PhysAddr frame) = 0;

protected:
    ~FrameSource() = default;
};

// What a mapping allows. Read is implied by any mapping.
enum class PageFlags : nk::u32 {
    None = 0,
    Write = 1 << 0,
    Execute = 1 << 1,
    User = 1 << 2,
    Global = 1 << 3,
    NoCache = 1 << 4,      // PCD: MMIO
    WriteThrough = 1 << 5, // PWT
};
constexpr PageFlags operator|(PageFlags a, PageFlags b) {
    return PageFlags(nk::u32(a) | nk::u32(b));
}
constexpr PageFlags operator&(PageFlags a, PageFlags b) {
    return PageFlags(nk::u32(a) & nk::u32(b));
}
constexpr bool has_flag(PageFlags set, PageFlags flag) {
    return (set & flag) == flag;
}

enum class PageSize : nk::u8 { Size4K, Size2M };
constexpr nk::u64 page_size_bytes(PageSize size) {
    return size == PageSize::Size2M ? PAGE_SIZE_2M : PAGE_SIZE_4K;
}

struct Translation {
    PhysAddr phys; // physical address of the byte asked about (page base + offset)
    PageFlags flags;
    PageSize size;
};

// True for addresses whose bits 63..47 are all equal (SDM 3.3.7.1).
constexpr bool is_canonical(VirtAddr address) {
    nk::u64 top = address >> 47;
    return top == 0 || top == 0x1ffff;
}

class PageTable {
public:
    // Allocates an empty PML4.
    static nk::Result<PageTable> create(FrameSource& frames);
    // Whether leaves may carry the execute-disable bit (the CPU has NX and EFER.NXE is set).
    // Without it, mappings without PageFlags::Execute are executable anyway. Default: true.
    static void set_no_execute_available(bool available);

    PageTable(PageTable&& other);
    PageTable(const PageTable&) = delete;
    PageTable& operator=(const PageTable&) = delete;
    ~PageTable(); // calls destroy()

    PhysAddr root() const { return m_root; }

    // Maps one page. Error::Invalid when an address is misaligned for the page size or not
    // canonical; Error::Exists when any part of the range is already mapped (including by a
    // larger page); Error::NoMemory when a table page cannot be allocated (nothing half-done is
    // left visible: intermediate tables that were created stay, empty).
    nk::ErrorOr map(VirtAddr virt, PhysAddr phys, PageFlags flags,
                    PageSize size = PageSize::Size4K);
    // Maps [virt, virt+length) to [phys, phys+length): 2 MiB pages where both addresses are
    // 2 MiB aligned and allow_large is set, 4 KiB pages elsewhere. On error, the pages this call
    // mapped are unmapped again.
    nk::ErrorOr map_range(VirtAddr virt, PhysAddr phys, nk::u64 length, PageFlags flags,
                          bool allow_large = true);
    // Removes the mapping of the page containing virt and returns its translation.
    // Error::NoEntry when nothing is mapped there. Page-table pages that become empty are freed.
    nk::Result<Translation> unmap(VirtAddr virt);
    // Changes the permissions of the page containing virt (whatever its size).
    nk::ErrorOr protect(VirtAddr virt, PageFlags flags);
    // Error::NoEntry when virt is not mapped.
    nk::Result<Translation> translate(VirtAddr virt) const;

    // Points PML4 slot `index` at an existing PDPT owned by someone else (the shared kernel view
    // of a Nooks domain). The slot's own R/W and U/S bits restrict everything below it
    // (SDM 4.6.1), so a subtree can be shared read-only. Shared subtrees are never freed or edited
    // through this table: map()/unmap() below a shared slot give Error::NotPermitted.
    nk::ErrorOr share_pml4_slot(unsigned index, PhysAddr pdpt, bool writable, bool user);
    // The same one level down (or at the top): makes the entry at `level` for `virt` (3: PML4E,
    // 512 GiB; 2: PDPTE, 1 GiB; `virt` aligned to that size) a link to someone else's `table`,
    // creating owned tables above it as needed. How a Nooks domain shares the kernel image's
    // gigabyte read-only while owning the module region's gigabyte under the same PML4 slot.
    nk::ErrorOr share_subtree(VirtAddr virt, unsigned level, PhysAddr table, bool writable,
                              bool user);

    // Frees every table page (not the mapped frames, not shared subtrees). Idempotent.
    void destroy();

    // Number of page-table pages this table owns, the PML4 included.
    nk::u64 table_pages() const { return m_table_pages; }

private:
    PageTable(FrameSource& frames, PhysAddr root)
        : m_frames(&frames), m_root(root), m_table_pages(1) {}
    PageTableEntry* table_at(PhysAddr phys) const;
    nk::Result<PhysAddr> allocate_table();
    void free_table(PhysAddr table);
    // Frees `table` (at `level`, 3 = PML4) and every owned table below it.
    void free_subtree(PhysAddr table, unsigned level);

    FrameSource* m_frames;
    PhysAddr m_root = 0;
    nk::u64 m_table_pages = 0;
};

} // namespace x86
