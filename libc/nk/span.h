// A pointer and a length, bounds-checked by the accessors that can fail.
#pragma once

#include <nk/types.h>

namespace nk {

template <typename T>
class Span {
public:
    constexpr Span() = default;
    constexpr Span(T* data, usize size) : m_data(data), m_size(size) {}
    template <usize N>
    constexpr Span(T (&array)[N]) : m_data(array), m_size(N) {}

    constexpr T* data() const { return m_data; }
    constexpr usize size() const { return m_size; }
    constexpr bool is_empty() const { return m_size == 0; }
    constexpr T& operator[](usize index) const { return m_data[index]; }
    constexpr T* begin() const { return m_data; }
    constexpr T* end() const { return m_data + m_size; }

    // Sub-span; an out-of-range request yields an empty span rather than reading past the end.
    constexpr Span slice(usize offset, usize length) const {
        if (offset > m_size || length > m_size - offset)
            return {};
        return Span(m_data + offset, length);
    }
    constexpr Span slice(usize offset) const {
        return offset > m_size ? Span() : Span(m_data + offset, m_size - offset);
    }

private:
    T* m_data = nullptr;
    usize m_size = 0;
};

using Bytes = Span<u8>;
using ReadonlyBytes = Span<const u8>;

} // namespace nk
