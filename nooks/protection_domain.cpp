#include <arch/x86/cpu_features.h>
#include <arch/x86/interrupt_state.h>
#include <arch/x86/mmu.h>
#include <kernel/memory/frame_allocator.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>
#include <nooks/protection_domain.h>

#include <string.h>

namespace nooks {

namespace {

using kernel::FRAME_SIZE;

constexpr unsigned PHYSMAP_SLOT = 256;
constexpr unsigned KERNEL_STACK_SLOT = 384;
constexpr unsigned TOP_SLOT = 511;
constexpr unsigned KERNEL_IMAGE_PDPT_INDEX = 510;

// PCIDs 1..4095 for domains (0 is the kernel's). Without PCID every domain uses 0.
nk::u64 g_pcid_used[4096 / 64] = {1}; // PCID 0 taken

nk::u16 allocate_pcid() {
    if (!x86::enabled_features().pcid)
        return 0;
    x86::InterruptGuard guard;
    for (unsigned word = 0; word < 4096 / 64; ++word) {
        if (g_pcid_used[word] == ~0ull)
            continue;
        unsigned bit = __builtin_ctzll(~g_pcid_used[word]);
        g_pcid_used[word] |= 1ull << bit;
        return nk::u16(word * 64 + bit);
    }
    return 0; // exhausted: share PCID 0 and pay the flushes
}

void free_pcid(nk::u16 pcid) {
    if (pcid == 0)
        return;
    x86::InterruptGuard guard;
    g_pcid_used[pcid / 64] &= ~(1ull << (pcid % 64));
}

struct SharedRange {
    nk::u64 base;
    nk::u64 pages;
    x86::PageFlags flags;
};
nk::u64 g_io_bitmap_address = 0;
constexpr nk::u64 IO_BITMAP_PAGES = 2;
SharedRange g_shared_ranges[8];
unsigned g_shared_range_count = 0;

x86::PageTableEntry kernel_entry(nk::u64 table_phys, unsigned index) {
    return kernel::phys_to_virt<x86::PageTableEntry>(table_phys)[index];
}

} // namespace

nk::ErrorOr add_domain_shared_range(nk::u64 base, nk::u64 pages, x86::PageFlags flags) {
    if (g_shared_range_count == sizeof g_shared_ranges / sizeof g_shared_ranges[0])
        return nk::Error::NoSpace;
    g_shared_ranges[g_shared_range_count++] = {base, pages, flags};
    return {};
}

void set_io_bitmap_address(nk::u64 address) {
    g_io_bitmap_address = address;
}

nk::Result<ProtectionDomain*> ProtectionDomain::create() {
    auto table = TRY(x86::PageTable::create(kernel::memory::kernel_frame_source()));
    nk::u64 kernel_root = kernel::memory::kernel_page_table().root();

    // The physmap and the kernel stacks: whole PML4 slots, linked read-only.
    const unsigned shared_slots[] = {PHYSMAP_SLOT, KERNEL_STACK_SLOT};
    for (unsigned slot : shared_slots) {
        auto entry = kernel_entry(kernel_root, slot);
        if (entry.is_present())
            TRY(table.share_pml4_slot(slot, entry.address(), false, false));
    }
    // The kernel image's gigabyte, linked read-only one level down: the next gigabyte (the
    // module region) belongs to the domain.
    auto top = kernel_entry(kernel_root, TOP_SLOT);
    if (!top.is_present())
        return nk::Error::Invalid;
    auto image_pd = kernel_entry(top.address(), KERNEL_IMAGE_PDPT_INDEX);
    if (!image_pd.is_present() || image_pd.is_huge())
        return nk::Error::Invalid;
    TRY(table.share_subtree(kernel::KERNEL_VMA, 2, image_pd.address(), false, false));

    auto* domain = static_cast<ProtectionDomain*>(kmalloc(sizeof(ProtectionDomain)));
    if (!domain)
        return nk::Error::NoMemory;
    new (domain) ProtectionDomain(nk::move(table), allocate_pcid());
    for (unsigned i = 0; i < g_shared_range_count; ++i) {
        auto mapped = domain->map_shared_pages(g_shared_ranges[i].base, g_shared_ranges[i].pages,
                                               g_shared_ranges[i].flags);
        if (mapped.is_error()) {
            domain->~ProtectionDomain();
            kfree(domain);
            return mapped.error();
        }
    }
    if (auto mapped = domain->map_io_bitmap(); mapped.is_error()) {
        domain->~ProtectionDomain();
        kfree(domain);
        return mapped.error();
    }
    // A reused PCID may still have translations of the domain that had it before.
    x86::mmu::flush_address_space(domain->root() | domain->pcid());
    return domain;
}

ProtectionDomain::~ProtectionDomain() {
    // The frames behind the domain's mappings belong to their allocations (module region), not
    // to the domain: only the domain's own tables go, and its I/O bitmap.
    m_table.destroy();
    if (m_io_bitmap_region)
        free_module_pages({m_io_bitmap_region, IO_BITMAP_PAGES});
    free_pcid(m_pcid);
}

// Two pages of the module region hold the bitmap; the domain sees them where the TSS says the
// bitmap is (read-only: the CPU only reads it).
nk::ErrorOr ProtectionDomain::map_io_bitmap() {
    if (!g_io_bitmap_address)
        return {};
    auto region = TRY(allocate_module_pages(IO_BITMAP_PAGES));
    m_io_bitmap_region = region.base;
    m_io_bitmap = reinterpret_cast<nk::u8*>(region.base);
    deny_all_ports();
    auto& kernel_table = kernel::memory::kernel_page_table();
    for (nk::u64 i = 0; i < IO_BITMAP_PAGES; ++i) {
        auto backing = TRY(kernel_table.translate(region.base + i * FRAME_SIZE));
        TRY(m_table.map(g_io_bitmap_address + i * FRAME_SIZE,
                        nk::align_down(backing.phys, FRAME_SIZE), x86::PageFlags::None));
    }
    return {};
}

void ProtectionDomain::deny_all_ports() {
    if (m_io_bitmap)
        memset(m_io_bitmap, 0xff, IO_BITMAP_PAGES * FRAME_SIZE);
}

void ProtectionDomain::allow_ports(nk::u16 first, nk::u32 count) {
    if (!m_io_bitmap)
        return;
    for (nk::u32 port = first; port < nk::u32(first) + count && port < 0x10000; ++port)
        m_io_bitmap[port / 8] &= nk::u8(~(1u << (port % 8)));
}

nk::ErrorOr ProtectionDomain::map_shared_pages(nk::u64 virt, nk::u64 pages, x86::PageFlags flags) {
    auto& kernel_table = kernel::memory::kernel_page_table();
    // Threads of one extension map into its table concurrently (heap pages, DMA buffers).
    x86::InterruptGuard guard;
    for (nk::u64 i = 0; i < pages; ++i) {
        nk::u64 page = virt + i * FRAME_SIZE;
        auto backing = kernel_table.translate(page);
        nk::ErrorOr mapped =
            backing.is_error()
                ? nk::ErrorOr(backing.error())
                : m_table.map(page, nk::align_down(backing.value().phys, FRAME_SIZE), flags);
        if (mapped.is_error()) {
            (void)unmap_pages(virt, i);
            return mapped.error();
        }
    }
    return {};
}

namespace {
constexpr nk::u64 CHECKED_VALID = 1;
constexpr nk::u64 CHECKED_WRITABLE = 2;
} // namespace

bool ProtectionDomain::allows(nk::u64 virt, bool write) {
    nk::u64 page = nk::align_down(virt, FRAME_SIZE);
    bool cacheable = page >= kernel::MODULE_REGION_BASE &&
                     page - kernel::MODULE_REGION_BASE < kernel::MODULE_REGION_SIZE;
    nk::u64* slot = &m_checked[(page / FRAME_SIZE) % CHECKED_PAGES];
    if (cacheable) {
        nk::u64 entry = __atomic_load_n(slot, __ATOMIC_RELAXED);
        if ((entry & ~(FRAME_SIZE - 1)) == page && (entry & CHECKED_VALID) &&
            (!write || (entry & CHECKED_WRITABLE)))
            return true;
    }
    // The walk and the note together, interrupts off: unmap_pages (likewise) cannot fall
    // between them and leave a note of a page it has just taken away.
    x86::InterruptGuard guard;
    auto seen = m_table.translate(page);
    if (seen.is_error())
        return false;
    bool writable = x86::has_flag(seen.value().flags, x86::PageFlags::Write);
    if (cacheable)
        __atomic_store_n(slot, page | CHECKED_VALID | (writable ? CHECKED_WRITABLE : 0),
                         __ATOMIC_RELAXED);
    return !write || writable;
}

nk::ErrorOr ProtectionDomain::unmap_pages(nk::u64 virt, nk::u64 pages) {
    x86::InterruptGuard guard;
    for (auto& entry : m_checked)
        entry = 0;
    for (nk::u64 i = 0; i < pages; ++i)
        (void)m_table.unmap(virt + i * FRAME_SIZE);
    x86::mmu::flush_address_space(root() | pcid());
    return {};
}

} // namespace nooks
