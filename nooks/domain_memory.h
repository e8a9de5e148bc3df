// An isolated extension's own writable memory: its heap and its stacks. Both come from the module
// region (so the kernel can read and write them through its own table) and are mapped writable
// into the extension's domain; everything is released in one sweep on unload or recovery.
#pragma once

#include <kernel/memory/heap.h>
#include <nk/intrusive_list.h>
#include <nk/result.h>
#include <nooks/module_region.h>

namespace nooks {

class ProtectionDomain;

// The pages behind an extension's heap (kernel::Heap's page source).
class DomainHeapPages final : public kernel::PageSource {
public:
    explicit DomainHeapPages(ProtectionDomain& domain) : m_domain(domain) {}
    ~DomainHeapPages();

    // Error::Quota past the page limit (set_page_limit), Error::NoMemory into the kernel's
    // reserve of free frames.
    nk::Result<void*> allocate_pages(unsigned order) override;
    void free_pages(void* pages, unsigned order) override;
    // True iff [address, address+length) lies inside one block this source holds. The extension
    // can write these pages, so the heap asks before it trusts anything it finds in them, and
    // the nk_free wrapper asks before the heap looks at a pointer at all. O(blocks).
    bool owns(const void* address, nk::usize length) const override {
        auto start = reinterpret_cast<nk::u64>(address);
        for (const Block& block : m_blocks) {
            nk::u64 offset = start - block.allocation.base; // wraps below the block
            nk::u64 size = block.allocation.pages * kernel::HEAP_PAGE_SIZE;
            if (offset < size && length <= size - offset)
                return true;
        }
        return false;
    }
    nk::u64 pages_held() const { return m_pages_held; }
    void set_page_limit(nk::u64 pages) { m_page_limit = pages; }

private:
    struct Block {
        nk::IntrusiveListNode node;
        RegionAllocation allocation;
    };
    ProtectionDomain& m_domain;
    nk::IntrusiveList<Block, &Block::node> m_blocks;
    nk::u64 m_pages_held = 0;
    nk::u64 m_page_limit = ~0ull;
};

struct DomainStack {
    RegionAllocation region;
    nk::u64 top;
    bool in_use;
};

constexpr unsigned DOMAIN_STACKS = 8;     // crossings in flight, threads included
constexpr nk::u64 DOMAIN_STACK_PAGES = 4; // 16 KiB

} // namespace nooks
