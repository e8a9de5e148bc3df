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

} // namespace

nk::Result<RegionAllocation> allocate_module_pages(nk::u64 pages) {
    if (pages == 0 || pages > PAGE_COUNT / 4)
        return nk::Error::Invalid;
    nk::u64 start = 0;
    {
        x86::InterruptGuard guard;
        // First fit for pages + 1: the allocation and an unmapped guard page after it.
        nk::u64 run = 0;
        for (nk::u64 page = FIRST_PAGE; page < PAGE_COUNT; ++page) {
            run = is_used(page) ? 0 : run + 1;
            if (run == pages + 1) {
                start = page + 1 - run;
                break;
            }
        }
        if (start == 0)
            return nk::Error::NoMemory;
        // The gap page is reserved with the allocation (never mapped), so no later image can
        // be placed right against this one.
        for (nk::u64 page = start; page <= start + pages; ++page)
            set_used(page, true);
        g_pages_in_use += pages;
    }
    nk::u64 base = address_of(start);
    auto mapped = kernel::memory::map_fresh_kernel_pages(base, pages, x86::PageFlags::Write);
    if (mapped.is_error()) {
        x86::InterruptGuard guard;
        for (nk::u64 page = start; page <= start + pages; ++page)
            set_used(page, false);
        g_pages_in_use -= pages;
        return mapped.error();
    }
    return RegionAllocation{base, pages};
}

nk::ErrorOr protect_module_pages(nk::u64 base, nk::u64 pages, x86::PageFlags flags) {
    auto& table = kernel::memory::kernel_page_table();
    for (nk::u64 i = 0; i < pages; ++i) {
        TRY(table.protect(base + i * FRAME_SIZE, flags));
        x86::mmu::invalidate_page(base + i * FRAME_SIZE);
    }
    return {};
}

void free_module_pages(const RegionAllocation& allocation) {
    kernel::memory::unmap_kernel_pages(allocation.base, allocation.pages);
    nk::u64 start = (allocation.base - kernel::MODULE_REGION_BASE) / FRAME_SIZE;
    x86::InterruptGuard guard;
    for (nk::u64 page = start; page <= start + allocation.pages; ++page)
        set_used(page, false);
    g_pages_in_use -= allocation.pages;
}

nk::u64 module_pages_in_use() {
    return g_pages_in_use;
}

} // namespace nooks
