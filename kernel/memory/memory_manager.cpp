#include <arch/x86/gdt.h>
#include <arch/x86/interrupt_state.h>
#include <arch/x86/mmu.h>
#include <kernel/debug/panic.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>

#include <string.h>

extern "C" char __kernel_phys_start[], __kernel_phys_end[];
extern "C" char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern "C" char __data_start[], __kernel_end[];

namespace kernel::memory {

namespace {

FrameAllocator g_frames;
KernelFrames g_locked_frames;
MemorySummary g_summary;

class KernelFrameSource final : public x86::FrameSource {
public:
    nk::Result<x86::PhysAddr> allocate_frame() override {
        x86::PhysAddr frame = TRY(g_locked_frames.allocate(0));
        memset(phys_to_virt(frame), 0, FRAME_SIZE);
        return frame;
    }
    void free_frame(x86::PhysAddr frame) override {
        if (g_locked_frames.free(frame, 0).is_error())
            panic("page table freed frame %#llx that is not allocated", (unsigned long long)frame);
    }
    void* phys_to_virt(x86::PhysAddr frame) override { return kernel::phys_to_virt(frame); }
};

class KernelPageSource final : public PageSource {
public:
    nk::Result<void*> allocate_pages(unsigned order) override {
        PhysAddr block = TRY(g_locked_frames.allocate(order));
        return phys_to_virt(block);
    }
    void free_pages(void* pages, unsigned order) override {
        if (g_locked_frames.free(virt_to_phys_physmap(pages), order).is_error())
            panic("heap returned pages %p (order %u) that are not allocated", pages, order);
    }
};

KernelFrameSource g_frame_source;
KernelPageSource g_page_source;
// Constructed in place by init_paging()/init_heap(): neither has a constexpr constructor.
alignas(x86::PageTable) nk::u8 g_page_table_storage[sizeof(x86::PageTable)];
alignas(Heap) nk::u8 g_heap_storage[sizeof(Heap)];
x86::PageTable* g_page_table = nullptr;
Heap* g_heap = nullptr;

nk::u64 kernel_phys(const void* virt) {
    return reinterpret_cast<nk::u64>(virt) - KERNEL_VMA;
}

bool overlaps(nk::u64 a, nk::u64 a_length, nk::u64 b, nk::u64 b_length) {
    return a < b + b_length && b < a + a_length;
}

} // namespace

nk::ErrorOr init_frames(const BootInfo& info, nk::u64 info_phys) {
    // Highest usable address, clipped to what the boot stub's physmap reaches: the allocator's
    // metadata and the first page tables are written through that early mapping, so memory beyond
    // it could not be touched until the kernel's own physmap exists. QEMU guests here have far
    // less than 4 GiB; anything above is reported, not used.
    nk::u64 max_phys = 0;
    for (nk::usize i = 0; i < info.memory_count; ++i) {
        const MemoryRegion& region = info.memory[i];
        if (region.type != MemoryType::Available)
            continue;
        nk::u64 end = region.base + region.length;
        if (end > EARLY_PHYSMAP_LIMIT) {
            nk::u64 start = region.base > EARLY_PHYSMAP_LIMIT ? region.base : EARLY_PHYSMAP_LIMIT;
            g_summary.ignored_bytes += end - start;
            end = EARLY_PHYSMAP_LIMIT;
        }
        if (end > max_phys)
            max_phys = end;
    }
    if (max_phys == 0)
        return nk::Error::NoMemory;

    // Ranges that are in use already.
    struct Range {
        nk::u64 base, length;
    };
    Range in_use[4 + BootInfo::MAX_MODULES];
    nk::usize in_use_count = 0;
    in_use[in_use_count++] = {0, 1 * nk::MiB}; // real-mode IVT, BIOS data, EBDA, VGA, ROMs
    // Both symbols are physical addresses (linker.ld defines them outside the higher half).
    in_use[in_use_count++] = {reinterpret_cast<nk::u64>(__kernel_phys_start),
                              nk::u64(__kernel_phys_end - __kernel_phys_start)};
    in_use[in_use_count++] = {info_phys, info.total_size};
    for (nk::usize i = 0; i < info.module_count; ++i)
        in_use[in_use_count++] = {info.modules[i].start,
                                  nk::u64(info.modules[i].end - info.modules[i].start)};

    // The metadata goes into the first available stretch that collides with none of them.
    nk::u64 metadata_size = nk::align_up(FrameAllocator::metadata_bytes(max_phys), FRAME_SIZE);
    nk::u64 metadata_phys = 0;
    for (nk::usize i = 0; i < info.memory_count && metadata_phys == 0; ++i) {
        const MemoryRegion& region = info.memory[i];
        if (region.type != MemoryType::Available)
            continue;
        nk::u64 candidate = nk::align_up(region.base, FRAME_SIZE);
        nk::u64 end = region.base + region.length;
        while (candidate + metadata_size <= end && candidate + metadata_size <= max_phys) {
            bool clear = true;
            for (nk::usize r = 0; r < in_use_count; ++r) {
                if (overlaps(candidate, metadata_size, in_use[r].base, in_use[r].length)) {
                    candidate = nk::align_up(in_use[r].base + in_use[r].length, FRAME_SIZE);
                    clear = false;
                    break;
                }
            }
            if (clear) {
                metadata_phys = candidate;
                break;
            }
        }
    }
    if (metadata_phys == 0)
        return nk::Error::NoMemory;
    in_use[in_use_count++] = {metadata_phys, metadata_size};

    g_frames.init(phys_to_virt(metadata_phys), max_phys);
    for (nk::usize i = 0; i < info.memory_count; ++i) {
        if (info.memory[i].type == MemoryType::Available)
            g_frames.mark_usable(info.memory[i].base, info.memory[i].length);
    }
    for (nk::usize r = 0; r < in_use_count; ++r) {
        g_frames.mark_reserved(in_use[r].base, in_use[r].length);
        g_summary.reserved_bytes += in_use[r].length;
    }
    g_frames.finalize();
    g_summary.usable_bytes = g_frames.stats().total_frames * FRAME_SIZE;
    return {};
}

nk::ErrorOr init_paging() {
    auto table = TRY(x86::PageTable::create(g_frame_source));
    g_page_table = new (g_page_table_storage) x86::PageTable(nk::move(table));
    x86::PageTable& pt = *g_page_table;

    using x86::PageFlags;
    auto map_section = [&](const char* start, const char* end, PageFlags flags) -> nk::ErrorOr {
        nk::u64 virt = reinterpret_cast<nk::u64>(start);
        nk::u64 length = nk::align_up(reinterpret_cast<nk::u64>(end), FRAME_SIZE) - virt;
        return pt.map_range(virt, kernel_phys(start), length, flags, false);
    };
    // Global (TLB entries kept across CR3 loads, whatever the PCID) only where every address
    // space has the same rights: text and rodata. Kernel data and the physmap are read-only in
    // Nooks protection domains, and a global writable entry cached by the kernel would let a
    // domain write through it (SDM Vol. 3A, 4.10.2.4).
    TRY(map_section(__text_start, __text_end, PageFlags::Execute | PageFlags::Global));
    TRY(map_section(__rodata_start, __rodata_end, PageFlags::Global));
    TRY(map_section(__data_start, __kernel_end, PageFlags::Write));

    // The physmap: all managed memory, 2 MiB pages where possible.
    nk::u64 physmap_bytes = nk::align_up(g_frames.max_phys(), x86::PAGE_SIZE_2M);
    TRY(pt.map_range(PHYSMAP_BASE, 0, physmap_bytes, PageFlags::Write, true));
    g_summary.physmap_bytes = physmap_bytes;

    // Guard pages under the kernel stacks stay unmapped: an overflow faults (onto an IST stack).
    nk::u64 guards[8];
    nk::usize guard_count = x86::stack_guard_pages(guards, 8);
    for (nk::usize i = 0; i < guard_count; ++i)
        TRY(pt.unmap(guards[i]));

    x86::mmu::load_address_space(pt.root(), 0, false);
    g_summary.kernel_table_pages = pt.table_pages();
    return {};
}

void init_heap() {
    g_heap = new (g_heap_storage) Heap(g_page_source);
}

nk::Result<PhysAddr> KernelFrames::allocate(unsigned order) {
    x86::InterruptGuard guard;
    return g_frames.allocate(order);
}
nk::ErrorOr KernelFrames::free(PhysAddr address, unsigned order) {
    x86::InterruptGuard guard;
    return g_frames.free(address, order);
}
bool KernelFrames::is_allocated(PhysAddr frame) const {
    x86::InterruptGuard guard;
    return g_frames.is_allocated(frame);
}
FrameStats KernelFrames::stats() const {
    x86::InterruptGuard guard;
    return g_frames.stats();
}
PhysAddr KernelFrames::max_phys() const {
    return g_frames.max_phys();
}

KernelFrames& frames() {
    return g_locked_frames;
}
x86::PageTable& kernel_page_table() {
    return *g_page_table;
}
x86::FrameSource& kernel_frame_source() {
    return g_frame_source;
}
Heap& kernel_heap() {
    return *g_heap;
}
const MemorySummary& summary() {
    return g_summary;
}

nk::ErrorOr map_fresh_kernel_pages(nk::u64 virt, nk::u64 pages, x86::PageFlags flags) {
    for (nk::u64 i = 0; i < pages; ++i) {
        auto frame = g_frame_source.allocate_frame(); // zeroed
        nk::ErrorOr mapped = frame.is_error() ? nk::ErrorOr(frame.error()) : nk::ErrorOr();
        if (frame.has_value()) {
            x86::InterruptGuard guard;
            mapped = g_page_table->map(virt + i * FRAME_SIZE, frame.value(), flags);
        }
        if (mapped.is_error()) {
            if (frame.has_value())
                (void)g_locked_frames.free(frame.value(), 0);
            unmap_kernel_pages(virt, i);
            return mapped.error();
        }
    }
    return {};
}

void unmap_kernel_pages(nk::u64 virt, nk::u64 pages) {
    for (nk::u64 i = 0; i < pages; ++i) {
        nk::u64 page = virt + i * FRAME_SIZE;
        x86::InterruptGuard guard;
        auto removed = g_page_table->unmap(page);
        x86::mmu::invalidate_page(page);
        if (removed.has_value())
            (void)g_locked_frames.free(nk::align_down(removed.value().phys, FRAME_SIZE), 0);
    }
}

nk::Result<nk::u64> map_mmio(nk::u64 phys, nk::u64 pages) {
    nk::u64 virt = PHYSMAP_BASE + nk::align_down(phys, FRAME_SIZE);
    x86::InterruptGuard guard;
    for (nk::u64 i = 0; i < pages; ++i) {
        nk::u64 page = virt + i * FRAME_SIZE;
        if (g_page_table->translate(page).has_value())
            continue; // inside RAM's physmap, or mapped before
        TRY(g_page_table->map(page, page - PHYSMAP_BASE,
                              x86::PageFlags::Write | x86::PageFlags::NoCache));
    }
    return virt + (phys % FRAME_SIZE);
}

bool is_kernel_readable(nk::u64 address, nk::u64 length) {
    if (!g_page_table || length == 0)
        return false;
    if (!x86::is_canonical(address) || address + length < address)
        return false;
    nk::u64 last = address + length - 1;
    for (nk::u64 page = nk::align_down(address, FRAME_SIZE); page <= last; page += FRAME_SIZE) {
        if (g_page_table->translate(page).is_error())
            return false;
        if (page + FRAME_SIZE < page)
            break;
    }
    return true;
}

} // namespace kernel::memory

extern "C" void* kmalloc(size_t size) {
    using namespace kernel;
    if (!memory::g_heap)
        panic("kmalloc(%zu) before the heap exists", size);
    x86::InterruptGuard guard;
    auto result = memory::g_heap->allocate(size);
    if (result.is_error()) {
        if (result.error() == nk::Error::Corrupt)
            panic("kmalloc: a freed heap block was written after it was freed");
        return nullptr;
    }
    return result.value();
}

extern "C" void* kzalloc(size_t size) {
    void* pointer = kmalloc(size);
    if (pointer)
        memset(pointer, 0, size);
    return pointer;
}

extern "C" void kfree(void* pointer) {
    using namespace kernel;
    if (!pointer)
        return;
    x86::InterruptGuard guard;
    if (memory::g_heap->free(pointer).is_error())
        panic("kfree(%p): double free or a pointer the heap never handed out", pointer);
}

// The C++ runtime's allocation hooks (libc/cxx_runtime.cpp): operator new/delete.
extern "C" void* nk_allocate(size_t size) {
    return kmalloc(size);
}
extern "C" void nk_deallocate(void* pointer) {
    kfree(pointer);
}
