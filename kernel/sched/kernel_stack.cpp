#include <arch/x86/interrupt_state.h>
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/sched/kernel_stack.h>

namespace kernel::kernel_stacks {

namespace {

// Slot i occupies [base + i * SLOT_SIZE, base + (i + 1) * SLOT_SIZE): one guard page, then the
// stack. Slot 0 is never handed out: it stays mapped so the region's page tables are never
// emptied (and freed) by an unmap, since other address spaces share them.
constexpr nk::u64 SLOT_SIZE = KERNEL_STACK_SIZE + FRAME_SIZE;
constexpr nk::u64 SLOT_COUNT = 4096;
constexpr nk::u64 PAGES_PER_STACK = KERNEL_STACK_SIZE / FRAME_SIZE;

nk::u64 g_used[SLOT_COUNT / 64];
nk::u64 g_live = 0;

nk::u64 slot_base(nk::u64 slot) {
    return KERNEL_STACK_REGION_BASE + slot * SLOT_SIZE;
}

} // namespace

nk::ErrorOr init() {
    // Pin slot 0 with one mapped page.
    TRY(memory::map_fresh_kernel_pages(slot_base(0) + FRAME_SIZE, 1, x86::PageFlags::Write));
    g_used[0] |= 1;
    return {};
}

nk::Result<KernelStack> allocate() {
    nk::u64 slot = SLOT_COUNT;
    {
        x86::InterruptGuard guard;
        for (nk::u64 word = 0; word < SLOT_COUNT / 64 && slot == SLOT_COUNT; ++word) {
            if (g_used[word] == ~0ull)
                continue;
            nk::u64 bit = __builtin_ctzll(~g_used[word]);
            g_used[word] |= 1ull << bit;
            slot = word * 64 + bit;
        }
    }
    if (slot == SLOT_COUNT)
        return nk::Error::NoMemory;

    nk::u64 bottom = slot_base(slot) + FRAME_SIZE;
    auto mapped = memory::map_fresh_kernel_pages(bottom, PAGES_PER_STACK, x86::PageFlags::Write);
    if (mapped.is_error()) {
        x86::InterruptGuard guard;
        g_used[slot / 64] &= ~(1ull << (slot % 64));
        return mapped.error();
    }
    x86::InterruptGuard guard;
    ++g_live;
    return KernelStack{bottom, bottom + KERNEL_STACK_SIZE};
}

void free(const KernelStack& stack) {
    memory::unmap_kernel_pages(stack.bottom, PAGES_PER_STACK);
    nk::u64 slot = (stack.bottom - FRAME_SIZE - KERNEL_STACK_REGION_BASE) / SLOT_SIZE;
    x86::InterruptGuard guard;
    g_used[slot / 64] &= ~(1ull << (slot % 64));
    --g_live;
}

nk::u64 live_count() {
    return g_live;
}

bool is_guard_page(nk::u64 address) {
    if (address < KERNEL_STACK_REGION_BASE || address >= slot_base(SLOT_COUNT))
        return false;
    return (address - KERNEL_STACK_REGION_BASE) % SLOT_SIZE < FRAME_SIZE;
}

} // namespace kernel::kernel_stacks
