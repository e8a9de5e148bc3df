#include <kernel/memory/kmalloc.h>
#include <kernel/memory/memory_manager.h>
#include <nooks/domain_memory.h>
#include <nooks/protection_domain.h>
#include <nooks/resource_limits.h>

namespace nooks {

DomainHeapPages::~DomainHeapPages() {
    while (Block* block = m_blocks.pop_front()) {
        (void)m_domain.unmap_pages(block->allocation.base, block->allocation.pages);
        free_module_pages(block->allocation);
        kfree(block);
    }
}

nk::Result<void*> DomainHeapPages::allocate_pages(unsigned order) {
    nk::u64 pages = 1ull << order;
    if (m_pages_held + pages > m_page_limit)
        return nk::Error::Quota;
    nk::u64 free = kernel::memory::frames().stats().free_frames;
    if (free < pages || free - pages < reserved_frames())
        return nk::Error::NoMemory;
    auto* block = static_cast<Block*>(kmalloc(sizeof(Block)));
    if (!block)
        return nk::Error::NoMemory;
    auto allocation = allocate_module_pages(1ull << order);
    if (allocation.is_error()) {
        kfree(block);
        return allocation.error();
    }
    auto mapped = m_domain.map_shared_pages(allocation.value().base, allocation.value().pages,
                                            x86::PageFlags::Write);
    if (mapped.is_error()) {
        free_module_pages(allocation.value());
        kfree(block);
        return mapped.error();
    }
    new (block) Block{{}, allocation.value()};
    m_blocks.push_back(*block);
    m_pages_held += allocation.value().pages;
    return reinterpret_cast<void*>(allocation.value().base);
}

void DomainHeapPages::free_pages(void* pages, unsigned) {
    auto base = reinterpret_cast<nk::u64>(pages);
    for (auto& block : m_blocks) {
        if (block.allocation.base != base)
            continue;
        m_blocks.remove(block);
        (void)m_domain.unmap_pages(base, block.allocation.pages);
        free_module_pages(block.allocation);
        m_pages_held -= block.allocation.pages;
        kfree(&block);
        return;
    }
}

} // namespace nooks
