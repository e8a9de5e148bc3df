#include <arch/x86/cpu_features.h>
#include <arch/x86/interrupt_state.h>
#include <arch/x86/mmu.h>
#include <kernel/memory/frame_allocator.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>
#include <nooks/protection_domain.h>

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
};
SharedRange g_shared_ranges[8];
unsigned g_shared_range_count = 0;

x86::PageTableEntry kernel_entry(nk::u64 table_phys, unsigned index) {
    return kernel::phys_to_virt<x86::PageTableEntry>(table_phys)[index];
}

} // namespace

nk::ErrorOr add_domain_shared_range(nk::u64 base, nk::u64 pages) {
    if (g_shared_range_count == sizeof g_shared_ranges / sizeof g_shared_ranges[0])
        return nk::Error::NoSpace;
    g_shared_ranges[g_shared_range_count++] = {base, pages};
    return {};
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
                                               x86::PageFlags::Write);
        if (mapped.is_error()) {
            domain->~ProtectionDomain();
            kfree(domain);
            return mapped.error();
        }
    }
    // A reused PCID may still have translations of the domain that had it before.
    x86::mmu::flush_address_space(domain->root() | domain->pcid());
    return domain;
}

ProtectionDomain::~ProtectionDomain() {
    // The frames behind the domain's mappings belong to their allocations (module region), not
    // to the domain: only the domain's own tables go.
    m_table.destroy();
    free_pcid(m_pcid);
}

nk::ErrorOr ProtectionDomain::map_shared_pages(nk::u64 virt, nk::u64 pages, x86::PageFlags flags) {
    auto& kernel_table = kernel::memory::kernel_page_table();
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

nk::ErrorOr ProtectionDomain::unmap_pages(nk::u64 virt, nk::u64 pages) {
    for (nk::u64 i = 0; i < pages; ++i)
        (void)m_table.unmap(virt + i * FRAME_SIZE);
    x86::mmu::flush_address_space(root() | pcid());
    return {};
}

} // namespace nooks
