// The kernel's virtual memory layout (x86_64, 4-level paging, 48-bit addresses).
//
//   0x0000000000000000 - 0x00007fffffffffff  user processes (lower half)
//   0xffff800000000000 - ...                 physmap: all physical memory, RW NX (PML4 slot 256)
//   0xffffc00000000000 - ...                 kernel thread stacks with guard pages (slot 384)
//   0xffffffff80000000 - ...                 kernel image (-mcmodel=kernel, PML4 slot 511)
//   0xffffffffc0000000 - 0xffffffffffffffff  module (extension) region, top 1 GiB
#pragma once

#include <nk/types.h>

namespace kernel {

constexpr nk::u64 PHYSMAP_BASE = 0xffff800000000000ull;
constexpr nk::u64 KERNEL_STACK_REGION_BASE = 0xffffc00000000000ull;
constexpr nk::u64 KERNEL_VMA = 0xffffffff80000000ull;
constexpr nk::u64 MODULE_REGION_BASE = 0xffffffffc0000000ull;
constexpr nk::u64 MODULE_REGION_SIZE = 1ull << 30;

// The boot page tables map physical 0..4 GiB into the physmap; the kernel uses memory below this
// limit (see memory_manager.cpp for why).
constexpr nk::u64 EARLY_PHYSMAP_LIMIT = 4ull << 30;

template <typename T = void>
inline T* phys_to_virt(nk::u64 phys) {
    return reinterpret_cast<T*>(PHYSMAP_BASE + phys);
}

inline nk::u64 virt_to_phys_physmap(const void* virt) {
    return reinterpret_cast<nk::u64>(virt) - PHYSMAP_BASE;
}

inline bool is_kernel_half(nk::u64 address) {
    return address >= PHYSMAP_BASE;
}

} // namespace kernel
