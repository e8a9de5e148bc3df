// Bringing up the kernel's memory: the frame allocator from the Multiboot2 memory map, the
// kernel's own page tables (replacing the boot stub's), and the kernel heap.
#pragma once

#include <arch/x86/page_table.h>
#include <kernel/boot/multiboot2.h>
#include <kernel/memory/frame_allocator.h>
#include <kernel/memory/heap.h>
#include <nk/result.h>

namespace kernel::memory {

struct MemorySummary {
    nk::u64 usable_bytes;       // RAM the frame allocator manages
    nk::u64 ignored_bytes;      // RAM above the early physmap limit, not used
    nk::u64 reserved_bytes;     // kernel image, boot info, modules, allocator metadata
    nk::u64 physmap_bytes;      // size of the physmap mapping
    nk::u64 kernel_table_pages; // page-table pages of the kernel address space
};

// Sets up the frame allocator, keeping the kernel, the boot information and the modules out of
// it. Runs on the boot stub's page tables.
nk::ErrorOr init_frames(const BootInfo& info, nk::u64 info_phys);
// Builds the kernel address space (text RX, rodata R, data/bss RW+NX, physmap RW+NX, stack guard
// pages unmapped) and switches to it.
nk::ErrorOr init_paging();
// The kernel heap; kmalloc/kfree work afterwards.
void init_heap();

// The kernel's frame allocator as every thread and interrupt handler sees it. The buddy
// allocator itself has no lock (host tests run it bare); here each call runs with interrupts off,
// which on this one-CPU kernel is what keeps a preempted allocate() from interleaving with
// another thread's free() and corrupting the free lists (a boot-time PANIC in CI did exactly
// that). Same discipline as kmalloc.
class KernelFrames {
public:
    nk::Result<PhysAddr> allocate(unsigned order = 0);
    nk::ErrorOr free(PhysAddr address, unsigned order = 0);
    bool is_allocated(PhysAddr frame) const;
    FrameStats stats() const;
    PhysAddr max_phys() const;
};

KernelFrames& frames();
x86::PageTable& kernel_page_table();
x86::FrameSource& kernel_frame_source();
Heap& kernel_heap();
const MemorySummary& summary();

// Changes to the kernel page table (map_fresh_kernel_pages, unmap_kernel_pages, map_mmio, the
// module region) run with interrupts off page by page: threads map stacks, module pages and
// registers concurrently, and a walk preempted halfway through adding a table would lose one.

// Maps `pages` fresh zero-filled frames at `virt` in the kernel address space (visible in every
// address space that shares the kernel half). On failure nothing stays mapped or allocated.
nk::ErrorOr map_fresh_kernel_pages(nk::u64 virt, nk::u64 pages, x86::PageFlags flags);
// Unmaps kernel pages, invalidates their translations and frees their frames. Pages that are not
// mapped are skipped.
void unmap_kernel_pages(nk::u64 virt, nk::u64 pages);

// Maps device registers (uncached) and returns where: the physmap's address for that physical
// range, which the physmap itself leaves unmapped outside RAM.
nk::Result<nk::u64> map_mmio(nk::u64 phys, nk::u64 pages);

// True when `length` bytes at `address` are mapped in the kernel address space (for code such as
// the backtrace walker that must not fault while reporting a fault).
bool is_kernel_readable(nk::u64 address, nk::u64 length);

} // namespace kernel::memory
