// Global descriptor table and the 64-bit task state segment (SDM Vol. 3A, 3.4.5 segment
// descriptors, 7.7 "Task Management in 64-bit Mode").
#pragma once

#include <nk/types.h>

namespace x86 {

// Selector layout fixed by syscall/sysret: SYSRET loads CS = STAR[63:48] + 16 and
// SS = STAR[63:48] + 8, so user data must sit just below user code (SDM Vol. 2B, SYSRET).
constexpr nk::u16 KERNEL_CS = 0x08;
constexpr nk::u16 KERNEL_DS = 0x10;
constexpr nk::u16 USER_DS = 0x18 | 3;
constexpr nk::u16 USER_CS = 0x20 | 3;
constexpr nk::u16 TSS_SELECTOR = 0x28;

// Interrupt stack table slots (1-based, as the IDT gate's IST field counts them). Faults that
// may come from a broken stack run on a known-good stack of their own.
enum class Ist : nk::u8 {
    None = 0,
    DoubleFault = 1,
    Nmi = 2,
    PageFault = 3,
    MachineCheck = 4,
};

void gdt_init();
// Stack loaded on a privilege change to ring 0 (TSS.RSP0). It is per thread: the scheduler saves
// and restores it, and a crossing into a protection domain points it at its own frame
// (domain_call.h).
void tss_set_kernel_stack(nk::u64 rsp0);
nk::u64 tss_kernel_stack();
// Moves an IST stack (Nooks puts them where every protection domain can write them: the CPU
// pushes the exception frame before any handler code can switch page tables).
void set_ist_stack(Ist slot, nk::u64 bottom, nk::u64 top);

// Pages that must stay unmapped below kernel stacks (boot and IST stacks); the memory manager
// leaves them out of the kernel's page tables. Returns how many were written to `out`.
nk::usize stack_guard_pages(nk::u64* out, nk::usize capacity);

// Top and bottom of an IST stack, for the panic report ("which stack was I on").
struct StackRange {
    nk::u64 bottom;
    nk::u64 top;
};
StackRange ist_stack(Ist slot);
StackRange boot_stack();

} // namespace x86
