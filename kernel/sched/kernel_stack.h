// Kernel stacks for threads: 16 KiB each in a dedicated region, with an unmapped guard page below
// every stack so an overflow faults (on the page-fault IST stack) instead of silently corrupting
// a neighbour.
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace kernel {

constexpr nk::u64 KERNEL_STACK_SIZE = 16 * 1024;

struct KernelStack {
    nk::u64 bottom; // lowest usable address (the guard page is just below)
    nk::u64 top;    // initial stack pointer
};

namespace kernel_stacks {

// Reserves the region's page tables (so every address space that shares the kernel half sees
// stacks created later) — call once the kernel page table exists.
nk::ErrorOr init();
nk::Result<KernelStack> allocate();
void free(const KernelStack& stack);
nk::u64 live_count();
// True when `address` is a guard page of the stack region (for fault reports).
bool is_guard_page(nk::u64 address);

} // namespace kernel_stacks

} // namespace kernel
