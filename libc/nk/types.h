// Fixed-width integer types and the few size helpers every file needs.
// GCC's freestanding <stdint.h>/<stddef.h> are part of the compiler, not of a hosted library.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace nk {

using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using i8 = int8_t;
using i16 = int16_t;
using i32 = int32_t;
using i64 = int64_t;
using uptr = uintptr_t;
using usize = size_t;

constexpr u64 KiB = 1024;
constexpr u64 MiB = 1024 * KiB;
constexpr u64 GiB = 1024 * MiB;

// Alignments must be powers of two.
constexpr u64 align_down(u64 value, u64 alignment) {
    return value & ~(alignment - 1);
}
constexpr u64 align_up(u64 value, u64 alignment) {
    return (value + alignment - 1) & ~(alignment - 1);
}
constexpr bool is_aligned(u64 value, u64 alignment) {
    return (value & (alignment - 1)) == 0;
}
constexpr bool is_power_of_two(u64 value) {
    return value != 0 && (value & (value - 1)) == 0;
}

template <typename T>
constexpr const T& min(const T& a, const T& b) {
    return b < a ? b : a;
}
template <typename T>
constexpr const T& max(const T& a, const T& b) {
    return a < b ? b : a;
}

} // namespace nk
