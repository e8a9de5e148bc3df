// move/forward/swap without the hosted standard library (the kernel is built freestanding).
#pragma once

#include <nk/types.h>

#if __STDC_HOSTED__
#include <new>
#else
// Placement new: the one piece of <new> the kernel needs.
inline void* operator new(size_t, void* where) noexcept {
    return where;
}
inline void* operator new[](size_t, void* where) noexcept {
    return where;
}
#endif

namespace nk {

template <typename T>
struct RemoveReference {
    using Type = T;
};
template <typename T>
struct RemoveReference<T&> {
    using Type = T;
};
template <typename T>
struct RemoveReference<T&&> {
    using Type = T;
};

template <typename T>
constexpr typename RemoveReference<T>::Type&& move(T&& value) {
    return static_cast<typename RemoveReference<T>::Type&&>(value);
}

template <typename T>
constexpr T&& forward(typename RemoveReference<T>::Type& value) {
    return static_cast<T&&>(value);
}

template <typename T>
constexpr void swap(T& a, T& b) {
    T tmp = move(a);
    a = move(b);
    b = move(tmp);
}

template <typename T, usize N>
constexpr usize array_size(const T (&)[N]) {
    return N;
}

} // namespace nk
