// Thin typed wrappers over privileged x86 instructions (port I/O, MSRs, control registers,
// CPUID, TSC). Kernel code outside arch/x86 uses rdtsc() and pause() only.
#pragma once

#include <arch/x86/interrupt_state.h>
#include <nk/types.h>

namespace x86 {

// Port I/O (SDM Vol. 1, 18.2 "I/O Port Addressing").
inline void outb(nk::u16 port, nk::u8 value) {
    asm volatile("outb %0, %1" ::"a"(value), "Nd"(port));
}
inline void outw(nk::u16 port, nk::u16 value) {
    asm volatile("outw %0, %1" ::"a"(value), "Nd"(port));
}
inline void outl(nk::u16 port, nk::u32 value) {
    asm volatile("outl %0, %1" ::"a"(value), "Nd"(port));
}
inline nk::u8 inb(nk::u16 port) {
    nk::u8 value;
    asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}
inline nk::u16 inw(nk::u16 port) {
    nk::u16 value;
    asm volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}
inline nk::u32 inl(nk::u16 port) {
    nk::u32 value;
    asm volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}
// A write to the unused POST port takes about a microsecond: the classic delay between
// accesses to slow ISA devices such as the 8259.
inline void io_wait() {
    outb(0x80, 0);
}

// Model-specific registers (SDM Vol. 4).
namespace msr {
constexpr nk::u32 EFER = 0xc0000080;
constexpr nk::u32 STAR = 0xc0000081;
constexpr nk::u32 LSTAR = 0xc0000082;
constexpr nk::u32 SFMASK = 0xc0000084;
constexpr nk::u32 FS_BASE = 0xc0000100;
constexpr nk::u32 GS_BASE = 0xc0000101;
constexpr nk::u32 KERNEL_GS_BASE = 0xc0000102;
} // namespace msr

namespace efer {
constexpr nk::u64 SCE = 1ull << 0; // syscall/sysret
constexpr nk::u64 LME = 1ull << 8;
constexpr nk::u64 NXE = 1ull << 11; // execute-disable bit honoured in page tables
} // namespace efer

inline nk::u64 rdmsr(nk::u32 index) {
    nk::u32 low, high;
    asm volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(index));
    return (nk::u64(high) << 32) | low;
}
inline void wrmsr(nk::u32 index, nk::u64 value) {
    asm volatile("wrmsr" ::"c"(index), "a"(nk::u32(value)), "d"(nk::u32(value >> 32)));
}

// Control register bits (SDM Vol. 3A, 2.5 "Control Registers").
namespace cr0 {
constexpr nk::u64 WP = 1ull << 16; // supervisor writes honour read-only pages
} // namespace cr0
namespace cr4 {
constexpr nk::u64 PGE = 1ull << 7;
constexpr nk::u64 PCIDE = 1ull << 17;
constexpr nk::u64 SMEP = 1ull << 20;
constexpr nk::u64 SMAP = 1ull << 21;
} // namespace cr4

inline nk::u64 read_cr0() {
    nk::u64 value;
    asm volatile("mov %%cr0, %0" : "=r"(value));
    return value;
}
inline void write_cr0(nk::u64 value) {
    asm volatile("mov %0, %%cr0" ::"r"(value) : "memory");
}
inline nk::u64 read_cr2() {
    nk::u64 value;
    asm volatile("mov %%cr2, %0" : "=r"(value));
    return value;
}
inline nk::u64 read_cr3() {
    nk::u64 value;
    asm volatile("mov %%cr3, %0" : "=r"(value));
    return value;
}
inline void write_cr3(nk::u64 value) {
    asm volatile("mov %0, %%cr3" ::"r"(value) : "memory");
}
inline nk::u64 read_cr4() {
    nk::u64 value;
    asm volatile("mov %%cr4, %0" : "=r"(value));
    return value;
}
inline void write_cr4(nk::u64 value) {
    asm volatile("mov %0, %%cr4" ::"r"(value) : "memory");
}

inline void invlpg(nk::u64 address) {
    asm volatile("invlpg (%0)" ::"r"(address) : "memory");
}

struct CpuidResult {
    nk::u32 eax, ebx, ecx, edx;
};
inline CpuidResult cpuid(nk::u32 leaf, nk::u32 subleaf = 0) {
    CpuidResult r;
    asm volatile("cpuid"
                 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                 : "a"(leaf), "c"(subleaf));
    return r;
}

inline nk::u64 rdtsc() {
    nk::u32 low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (nk::u64(high) << 32) | low;
}

// Clears the direction flag (string instructions count up, as the ABI promises every function)
// and the alignment-check flag (with SMAP, AC set would open user pages to the kernel), keeping
// the interrupt flag: for kernel code entered from code that may have left either set.
inline void sanitize_flags() {
    asm volatile("pushfq\n"
                 "andq $~0x40400, (%%rsp)\n" // DF (bit 10), AC (bit 18)
                 "popfq" ::
                     : "memory", "cc");
}

inline void pause() {
    asm volatile("pause");
}

} // namespace x86
