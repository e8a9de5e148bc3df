// A Nooks protection domain: a page table in which the kernel is mapped read-only and only the
// extension's own memory (image, heap, stacks) is writable (DESIGN.md, "Protection domains").
//
// The kernel's view is shared, not copied: the domain's PML4 links the kernel's physmap and
// kernel-stack PDPTs, and its top-slot PDPT links the kernel image's page directory, each link
// with R/W clear — which makes everything below it read-only (SDM Vol. 3A, 4.6.1). A new domain
// therefore costs a PML4, one PDPT and whatever tables its own mappings need.
#pragma once

#include <arch/x86/page_table.h>
#include <nk/result.h>
#include <nk/types.h>
#include <nooks/module_region.h>

namespace nooks {

// Kernel pages every domain maps (writable, or read-only): the interrupt stacks and the
// trampoline stack, which the CPU writes before any handler can leave the domain; the TSS, which
// it reads. Registered once at start-up.
nk::ErrorOr add_domain_shared_range(nk::u64 base, nk::u64 pages,
                                    x86::PageFlags flags = x86::PageFlags::Write);
// Where the TSS's I/O permission bitmap lives (arch/x86/gdt.h): each domain maps two pages of
// its own there. Set once at start-up, before the first domain.
void set_io_bitmap_address(nk::u64 address);

class ProtectionDomain {
public:
    static nk::Result<ProtectionDomain*> create();
    ~ProtectionDomain();
    ProtectionDomain(const ProtectionDomain&) = delete;
    ProtectionDomain& operator=(const ProtectionDomain&) = delete;

    nk::u64 root() const { return m_table.root(); }
    // The PCID this domain's translations are tagged with (0 when the CPU has no PCID).
    nk::u16 pcid() const { return m_pcid; }

    // Makes already-allocated module-region pages (mapped in the kernel's table) visible in this
    // domain with `flags`: the same frames, the extension's rights.
    nk::ErrorOr map_shared_pages(nk::u64 virt, nk::u64 pages, x86::PageFlags flags);
    nk::ErrorOr unmap_pages(nk::u64 virt, nk::u64 pages);
    nk::Result<x86::Translation> translate(nk::u64 virt) const { return m_table.translate(virt); }
    // Whether the page holding `virt` is mapped in this domain (and writable, when `write`).
    // Wrappers ask for every pointer an extension passes, a receive batch for each frame, so the
    // answers for module-region pages — the extension's own memory, whose mappings change only
    // through map_shared_pages/unmap_pages — are remembered until the next unmap_pages. Other
    // pages (the kernel's, mapped read-only through shared tables the kernel may change) are
    // walked every time.
    bool allows(nk::u64 virt, bool write);
    nk::u64 table_pages() const { return m_table.table_pages(); }

    // The domain's I/O permission bitmap: every port refused, then those of devices the
    // extension claimed allowed again. Its own in/out (and rep ins/outs) on them need no
    // crossing; any other port faults.
    void deny_all_ports();
    void allow_ports(nk::u16 first, nk::u32 count);

private:
    ProtectionDomain(x86::PageTable&& table, nk::u16 pcid)
        : m_table(nk::move(table)), m_pcid(pcid) {}
    nk::ErrorOr map_io_bitmap();

    x86::PageTable m_table;
    nk::u16 m_pcid;
    nk::u8* m_io_bitmap = nullptr; // two pages, in the module region (kernel side)
    // allows()'s answers, direct-mapped by page number: page | CHECKED_* bits, 0 for none. One
    // 64-bit word each, so a reader never sees half an entry.
    static constexpr unsigned CHECKED_PAGES = 256; // 1 MiB: a receive ring's buffers
    nk::u64 m_checked[CHECKED_PAGES] = {};
    nk::u64 m_io_bitmap_region = 0;
};

} // namespace nooks
