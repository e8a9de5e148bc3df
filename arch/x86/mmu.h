// Loading address spaces and invalidating translations: the only place CR3 is written.
#pragma once

#include <nk/types.h>

namespace x86::mmu {

// With CR4.PCIDE set, CR3[11:0] is the PCID and bit 63 asks the CPU to keep that PCID's cached
// translations (SDM Vol. 3A, 4.10.4.1 "Operations that Invalidate TLBs and Paging-Structure
// Caches"). Without PCID the low bits must be zero and every load flushes non-global entries.
void load_address_space(nk::u64 pml4_phys, nk::u16 pcid, bool keep_tlb);
nk::u64 current_address_space();
// The running thread's own page table: where interrupt entry returns to from a protection
// domain. The scheduler sets it at every switch.
void set_thread_address_space(nk::u64 pml4_phys);
nk::u64 thread_address_space();
void invalidate_page(nk::u64 virt);
// Flushes all non-global translations of the current PCID.
void flush_tlb();
// Drops every cached translation of another address space's PCID (after unmapping pages from
// it, or before reusing its PCID). Without PCIDs there is nothing to drop: a table that is not
// loaded has no translations cached.
void flush_address_space(nk::u64 cr3_with_pcid);
// Cost of one CR3 reload measured on this CPU (rdtsc cycles), for the benchmarks.
nk::u64 measure_cr3_reload_cycles(unsigned iterations);

} // namespace x86::mmu
