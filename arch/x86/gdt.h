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
// Isolated extensions run at CPL 1 (DESIGN.md, "Protection domains"): paging treats CPL 1 as
// supervisor, so the domain's page table alone decides what they may touch, while privileged
// instructions and ports outside the I/O permission bitmap fault (SDM Vol. 3A, 5.9, 18.5).
constexpr nk::u16 EXTENSION_CS = 0x38 | 1;
constexpr nk::u16 EXTENSION_DS = 0x40 | 1;

// The TSS and its I/O permission bitmap after relocate_tss(): the TSS at the start of the first
// page, the bitmap (one bit per port, 1 = refused) filling the next two, and the byte of ones
// the CPU requires after it opening the fourth (SDM Vol. 1, 18.5.2).
constexpr nk::u64 TSS_AREA_PAGES = 4;
constexpr nk::u64 TSS_IO_BITMAP_OFFSET = 0x1000;
constexpr nk::u64 TSS_IO_BITMAP_BYTES = 0x2000;

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
// Moves the TSS to `area` (TSS_AREA_PAGES writable pages, zeroed) and gives it an I/O bitmap that
// refuses every port; a protection domain maps pages of its own over the bitmap's. Loads the
// task register again.
void relocate_tss(nk::u64 area);
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
