#include <arch/x86/interrupt_state.h>
#include <arch/x86/mmu.h>
#include <kernel/memory/frame_allocator.h>
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>
#include <nooks/module_region.h>

namespace nooks {

namespace {

using kernel::FRAME_SIZE;

// A page bitmap over the region: 1 GiB / 4 KiB = 262144 pages. The first 256 MiB stay out of
// it: kernel self tests map scratch pages there.
constexpr nk::u64 FIRST_PAGE = (256ull << 20) / FRAME_SIZE;
constexpr nk::u64 PAGE_COUNT = kernel::MODULE_REGION_SIZE / FRAME_SIZE;
nk::u64 g_used[PAGE_COUNT / 64];
nk::u64 g_pages_in_use = 0;

bool is_used(nk::u64 page) {
    return g_used[page / 64] & (1ull << (page % 64));
}
void set_used(nk::u64 page, bool used) {
    if (used)
        g_used[page / 64] |= 1ull << (page % 64);
    else
        g_used[page / 64] &= ~(1ull << (page % 64));
}

nk::u64 address_of(nk::u64 page) {
    return kernel::MODULE_REGION_BASE + page * FRAME_SIZE;
}

// Reserves pages + 1 (the unmapped gap) in the bitmap; returns the first page, 0 when full.
nk::u64 reserve_pages(nk::u64 pages) {
    x86::InterruptGuard guard;
    nk::u64 run = 0;
    for (nk::u64 page = FIRST_PAGE; page < PAGE_COUNT; ++page) {
        run = is_used(page) ? 0 : run + 1;
        if (run == pages + 1) {
            nk::u64 start = page + 1 - run;
            for (nk::u64 used = start; used <= start + pages; ++used)
                set_used(used, true);
            g_pages_in_use += pages;
            return start;
        }
    }
    return 0;
}

void unreserve_pages(nk::u64 start, nk::u64 pages) {
    x86::InterruptGuard guard;
    for (nk::u64 page = start; page <= start + pages; ++page)
        set_used(page, false);
    g_pages_in_use -= pages;
}

} // namespace

nk::Result<RegionAllocation> allocate_module_pages(nk::u64 pages) {
    if (pages == 0 || pages > PAGE_COUNT / 4)
        return nk::Error::Invalid;
    nk::u64 start = reserve_pages(pages);
    if (start == 0)
        return nk::Error::NoMemory;
    nk::u64 base = address_of(start);
    auto mapped = kernel::memory::map_fresh_kernel_pages(base, pages, x86::PageFlags::Write);
    if (mapped.is_error()) {
        unreserve_pages(start, pages);
        return mapped.error();
    }
    return RegionAllocation{base, pages};
}

nk::Result<RegionAllocation> map_module_physical(nk::u64 phys, nk::u64 pages,
                                                 x86::PageFlags flags) {
    if (pages == 0 || pages > PAGE_COUNT / 4 || !nk::is_aligned(phys, FRAME_SIZE))
        return nk::Error::Invalid;
    nk::u64 start = reserve_pages(pages);
    if (start == 0)
        return nk::Error::NoMemory;
    nk::u64 base = address_of(start);
    auto& table = kernel::memory::kernel_page_table();
    // Interrupts off: other threads change the kernel page table too (memory_manager.h).
    x86::InterruptGuard guard;
    for (nk::u64 i = 0; i < pages; ++i) {
        auto mapped = table.map(base + i * FRAME_SIZE, phys + i * FRAME_SIZE, flags);
        if (mapped.is_error()) {
            for (nk::u64 j = 0; j < i; ++j) {
                (void)table.unmap(base + j * FRAME_SIZE);
                x86::mmu::invalidate_page(base + j * FRAME_SIZE);
            }
            unreserve_pages(start, pages);
            return mapped.error();
        }
    }
    return RegionAllocation{base, pages};
}

void unmap_module_physical(const RegionAllocation& allocation) {
    auto& table = kernel::memory::kernel_page_table();
    for (nk::u64 i = 0; i < allocation.pages; ++i) {
        x86::InterruptGuard guard;
        (void)table.unmap(allocation.base + i * FRAME_SIZE);
        x86::mmu::invalidate_page(allocation.base + i * FRAME_SIZE);
    }
    unreserve_pages((allocation.base - kernel::MODULE_REGION_BASE) / FRAME_SIZE, allocation.pages);
}

nk::ErrorOr protect_module_pages(nk::u64 base, nk::u64 pages, x86::PageFlags flags) {
    auto& table = kernel::memory::kernel_page_table();
    for (nk::u64 i = 0; i < pages; ++i) {
        x86::InterruptGuard guard;
        TRY(table.protect(base + i * FRAME_SIZE, flags));
        x86::mmu::invalidate_page(base + i * FRAME_SIZE);
    }
    return {};
}

void free_module_pages(const RegionAllocation& allocation) {
    kernel::memory::unmap_kernel_pages(allocation.base, allocation.pages);
    unreserve_pages((allocation.base - kernel::MODULE_REGION_BASE) / FRAME_SIZE, allocation.pages);
}

nk::u64 module_pages_in_use() {
    return g_pages_in_use;
}

} // namespace nooks
