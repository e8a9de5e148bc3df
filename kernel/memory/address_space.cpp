#include <kernel/memory/address_space.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>
#include <nk/syscall_abi.h>

namespace kernel {

namespace {

constexpr unsigned FIRST_KERNEL_SLOT = 256;

bool inside_user_space(nk::u64 virt, nk::u64 length) {
    return virt < nk::abi::USER_SPACE_END && length <= nk::abi::USER_SPACE_END - virt;
}

} // namespace

nk::Result<AddressSpace*> AddressSpace::create() {
    auto table = TRY(x86::PageTable::create(memory::kernel_frame_source()));
    // Share the kernel half: point every present kernel PML4 slot at the kernel's own PDPT. The
    // kernel never frees those PDPTs (its regions keep them populated), so the links stay valid.
    auto* kernel_pml4 = phys_to_virt<x86::PageTableEntry>(memory::kernel_page_table().root());
    for (unsigned slot = FIRST_KERNEL_SLOT; slot < x86::ENTRIES_PER_TABLE; ++slot) {
        if (kernel_pml4[slot].is_present())
            TRY(table.share_pml4_slot(slot, kernel_pml4[slot].address(), true, false));
    }
    auto* space = static_cast<AddressSpace*>(kmalloc(sizeof(AddressSpace)));
    if (!space)
        return nk::Error::NoMemory;
    new (space) AddressSpace(nk::move(table));
    space->m_heap_next = nk::abi::USER_HEAP_BASE;
    space->m_page_limit = memory::frames().stats().total_frames / 2;
    return space;
}

AddressSpace::~AddressSpace() {
    while (Region* region = m_regions.pop_front()) {
        release_pages(region->base, region->pages);
        kfree(region);
    }
    m_table.destroy();
}

void AddressSpace::release_pages(nk::u64 base, nk::u64 pages) {
    for (nk::u64 i = 0; i < pages; ++i) {
        auto removed = m_table.unmap(base + i * FRAME_SIZE);
        if (removed.has_value()) {
            (void)memory::frames().free(nk::align_down(removed.value().phys, FRAME_SIZE), 0);
            --m_mapped_pages;
        }
    }
}

nk::ErrorOr AddressSpace::map_anonymous(nk::u64 virt, nk::u64 pages, x86::PageFlags flags) {
    if (!nk::is_aligned(virt, FRAME_SIZE) || pages == 0 ||
        !inside_user_space(virt, pages * FRAME_SIZE))
        return nk::Error::Invalid;
    if (m_mapped_pages + pages > m_page_limit ||
        memory::frames().stats().free_frames < pages + KERNEL_RESERVE_FRAMES)
        return nk::Error::NoMemory;
    auto* region = static_cast<Region*>(kmalloc(sizeof(Region)));
    if (!region)
        return nk::Error::NoMemory;
    new (region) Region{{}, virt, 0};
    m_regions.push_back(*region);
    for (nk::u64 i = 0; i < pages; ++i) {
        auto frame = memory::kernel_frame_source().allocate_frame(); // zero-filled
        nk::ErrorOr mapped = frame.is_error() ? nk::ErrorOr(frame.error())
                                              : m_table.map(virt + i * FRAME_SIZE, frame.value(),
                                                            flags | x86::PageFlags::User);
        if (mapped.is_error()) {
            if (frame.has_value())
                (void)memory::frames().free(frame.value(), 0);
            release_pages(virt, i);
            m_regions.remove(*region);
            kfree(region);
            return mapped.error();
        }
        ++m_mapped_pages;
        region->pages = i + 1;
    }
    return {};
}

nk::ErrorOr AddressSpace::unmap_region(nk::u64 virt, nk::u64 pages) {
    for (auto& region : m_regions) {
        if (region.base == virt && region.pages == pages) {
            m_regions.remove(region);
            release_pages(virt, pages);
            kfree(&region);
            return {};
        }
    }
    return nk::Error::Invalid;
}

nk::ErrorOr AddressSpace::protect_region(nk::u64 virt, nk::u64 pages, x86::PageFlags flags) {
    for (nk::u64 i = 0; i < pages; ++i)
        TRY(m_table.protect(virt + i * FRAME_SIZE, flags | x86::PageFlags::User));
    return {};
}

nk::Result<nk::u64> AddressSpace::allocate_heap_pages(unsigned order) {
    if (order > 10)
        return nk::Error::Invalid;
    nk::u64 pages = 1ull << order;
    nk::u64 base = nk::align_up(m_heap_next, pages * FRAME_SIZE);
    if (base + pages * FRAME_SIZE >
        nk::abi::USER_STACK_TOP - nk::abi::USER_STACK_SIZE - 64 * FRAME_SIZE)
        return nk::Error::NoMemory;
    TRY(map_anonymous(base, pages, x86::PageFlags::Write));
    m_heap_next = base + pages * FRAME_SIZE;
    return base;
}

nk::Result<nk::u8*> AddressSpace::kernel_view(nk::u64 virt) {
    auto translation = TRY(m_table.translate(virt));
    return phys_to_virt<nk::u8>(translation.phys);
}

bool AddressSpace::is_user_range(nk::u64 address, nk::u64 length, bool write) const {
    if (length == 0)
        return inside_user_space(address, 0);
    if (!inside_user_space(address, length))
        return false;
    nk::u64 last = address + length - 1;
    for (nk::u64 page = nk::align_down(address, FRAME_SIZE); page <= last; page += FRAME_SIZE) {
        auto translation = m_table.translate(page);
        if (translation.is_error())
            return false;
        auto flags = translation.value().flags;
        if (!x86::has_flag(flags, x86::PageFlags::User))
            return false;
        if (write && !x86::has_flag(flags, x86::PageFlags::Write))
            return false;
    }
    return true;
}

} // namespace kernel
