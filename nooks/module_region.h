// Virtual memory for extension images in the module region (the top 1 GiB, so modules built with
// -mcmodel=kernel reach the kernel and each other with 32-bit displacements). Each image gets a
// run of pages mapped from fresh frames, with an unmapped gap after it.
#pragma once

#include <arch/x86/page_table.h>
#include <nk/result.h>
#include <nk/types.h>

namespace nooks {

struct RegionAllocation {
    nk::u64 base;
    nk::u64 pages;
};

// Reserves and maps `pages` zeroed, writable pages. Error::NoMemory when the region or memory is
// exhausted.
nk::Result<RegionAllocation> allocate_module_pages(nk::u64 pages);
// Sets the final rights of part of an allocation (text RX, rodata R...).
nk::ErrorOr protect_module_pages(nk::u64 base, nk::u64 pages, x86::PageFlags flags);
// Unmaps and frees the frames; the virtual range is reusable afterwards.
void free_module_pages(const RegionAllocation& allocation);

// A range of the region mapped to given physical memory (DMA buffers, device registers): the
// frames are not the region's and are not freed with it.
nk::Result<RegionAllocation> map_module_physical(nk::u64 phys, nk::u64 pages, x86::PageFlags flags);
void unmap_module_physical(const RegionAllocation& allocation);
nk::u64 module_pages_in_use();

} // namespace nooks
