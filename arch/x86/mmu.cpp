#include <arch/x86/cpu.h>
#include <arch/x86/cpu_features.h>
#include <arch/x86/interrupt_state.h>
#include <arch/x86/mmu.h>

extern "C" nk::u64 x86_thread_cr3;
extern "C" nk::u64 x86_cr3_keep_tlb;

namespace x86::mmu {

namespace {
constexpr nk::u64 CR3_NO_FLUSH = 1ull << 63;
constexpr nk::u64 CR3_ADDRESS_MASK = 0x000ffffffffff000ull;
} // namespace

void load_address_space(nk::u64 pml4_phys, nk::u16 pcid, bool keep_tlb) {
    nk::u64 value = pml4_phys & CR3_ADDRESS_MASK;
    if (enabled_features().pcid) {
        value |= pcid & 0xfff;
        if (keep_tlb)
            value |= CR3_NO_FLUSH;
    }
    write_cr3(value);
}

nk::u64 current_address_space() {
    return read_cr3() & CR3_ADDRESS_MASK;
}

void set_thread_address_space(nk::u64 pml4_phys) {
    x86_thread_cr3 = pml4_phys & CR3_ADDRESS_MASK;
}

nk::u64 thread_address_space() {
    return x86_thread_cr3;
}

void invalidate_page(nk::u64 virt) {
    invlpg(virt);
}

void flush_tlb() {
    write_cr3(read_cr3() & ~CR3_NO_FLUSH);
}

void flush_address_space(nk::u64 cr3_with_pcid) {
    if (!enabled_features().pcid)
        return;
    // Load the other table without the keep bit (which flushes its PCID), then come straight
    // back. Nothing in between touches memory, so it does not matter what that table maps.
    InterruptGuard guard;
    nk::u64 home = read_cr3() | CR3_NO_FLUSH;
    nk::u64 target = cr3_with_pcid & ~CR3_NO_FLUSH;
    asm volatile("mov %0, %%cr3\n"
                 "mov %1, %%cr3\n" ::"r"(target),
                 "r"(home)
                 : "memory");
}

nk::u64 measure_cr3_reload_cycles(unsigned iterations) {
    if (iterations == 0)
        return 0;
    nk::u64 cr3 = read_cr3() & ~CR3_NO_FLUSH;
    nk::u64 best = ~0ull;
    for (unsigned i = 0; i < iterations; ++i) {
        nk::u64 start = rdtsc();
        write_cr3(cr3);
        nk::u64 cycles = rdtsc() - start;
        if (cycles < best)
            best = cycles;
    }
    return best;
}

} // namespace x86::mmu
