#include <nk_string.h>

// GCC recognises copy and fill loops (and, since GCC 12, strlen-like loops) and replaces them with
// calls to memcpy/memset/strlen. In the kernel those symbols forward to the functions below, so
// the replacement would recurse forever.
#define NK_NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))

namespace nk {

// The forward copy and the fill use the string instructions: they need no SSE registers, which
// the kernel is built without. Eight bytes per iteration first, then the tail: with ERMS a
// `rep movsb` alone would be as fast on hardware, but emulators (QEMU's TCG) run string
// instructions one iteration at a time, so the quadword form moves a 64 KiB block about eight
// times faster there — and every bounce, cache and user copy goes through here. A forward copy
// stays correct when the destination lies below an overlapping source: each quadword is read
// before anything at or above it is written.
NK_NO_LIBCALLS void* copy_memory(void* destination, const void* source, usize length) {
    void* result = destination;
    usize quads = length / 8;
    usize tail = length % 8;
    asm volatile("rep movsq" : "+D"(destination), "+S"(source), "+c"(quads) : : "memory");
    asm volatile("rep movsb" : "+D"(destination), "+S"(source), "+c"(tail) : : "memory");
    return result;
}

NK_NO_LIBCALLS void* move_memory(void* destination, const void* source, usize length) {
    auto* to = static_cast<u8*>(destination);
    auto* from = static_cast<const u8*>(source);
    if (to <= from || to >= from + length)
        return copy_memory(destination, source, length);
    // The destination overlaps the tail of the source: copy from the end. Rare enough that the
    // slow backward string instructions are not worth it.
    while (length > 0) {
        --length;
        to[length] = from[length];
    }
    return destination;
}

NK_NO_LIBCALLS void* fill_memory(void* destination, int byte, usize length) {
    void* result = destination;
    usize quads = length / 8;
    usize tail = length % 8;
    u64 pattern = static_cast<u8>(byte) * 0x0101010101010101ull;
    asm volatile("rep stosq" : "+D"(destination), "+c"(quads) : "a"(pattern) : "memory");
    asm volatile("rep stosb" : "+D"(destination), "+c"(tail) : "a"(pattern) : "memory");
    return result;
}

NK_NO_LIBCALLS int compare_memory(const void* a, const void* b, usize length) {
    auto* left = static_cast<const u8*>(a);
    auto* right = static_cast<const u8*>(b);
    for (usize i = 0; i < length; ++i) {
        if (left[i] != right[i])
            return left[i] < right[i] ? -1 : 1;
    }
    return 0;
}

NK_NO_LIBCALLS const void* find_byte(const void* data, int byte, usize length) {
    auto* bytes = static_cast<const u8*>(data);
    auto wanted = static_cast<u8>(byte);
    for (usize i = 0; i < length; ++i) {
        if (bytes[i] == wanted)
            return bytes + i;
    }
    return nullptr;
}

NK_NO_LIBCALLS usize string_length(const char* string) {
    usize length = 0;
    while (string[length] != '\0')
        ++length;
    return length;
}

NK_NO_LIBCALLS usize string_length_bounded(const char* string, usize max_length) {
    usize length = 0;
    while (length < max_length && string[length] != '\0')
        ++length;
    return length;
}

NK_NO_LIBCALLS int compare_strings(const char* a, const char* b) {
    // C compares the characters as unsigned char.
    auto* left = reinterpret_cast<const u8*>(a);
    auto* right = reinterpret_cast<const u8*>(b);
    while (*left != '\0' && *left == *right) {
        ++left;
        ++right;
    }
    return *left == *right ? 0 : (*left < *right ? -1 : 1);
}

NK_NO_LIBCALLS int compare_strings_bounded(const char* a, const char* b, usize max_length) {
    auto* left = reinterpret_cast<const u8*>(a);
    auto* right = reinterpret_cast<const u8*>(b);
    for (usize i = 0; i < max_length; ++i) {
        if (left[i] != right[i])
            return left[i] < right[i] ? -1 : 1;
        if (left[i] == '\0')
            return 0;
    }
    return 0;
}

NK_NO_LIBCALLS const char* find_char(const char* string, int character) {
    auto wanted = static_cast<char>(character);
    for (;; ++string) {
        if (*string == wanted)
            return string;
        if (*string == '\0')
            return nullptr;
    }
}

NK_NO_LIBCALLS const char* find_last_char(const char* string, int character) {
    auto wanted = static_cast<char>(character);
    const char* found = nullptr;
    for (;; ++string) {
        if (*string == wanted)
            found = string;
        if (*string == '\0')
            return found;
    }
}

NK_NO_LIBCALLS const char* find_substring(const char* haystack, const char* needle) {
    usize needle_length = string_length(needle);
    if (needle_length == 0)
        return haystack;
    // The naive search: kernel callers match short needles, so no preprocessing pays off.
    for (; *haystack != '\0'; ++haystack) {
        if (*haystack == *needle && compare_strings_bounded(haystack, needle, needle_length) == 0)
            return haystack;
    }
    return nullptr;
}

NK_NO_LIBCALLS char* copy_string(char* destination, const char* source) {
    char* out = destination;
    while ((*out++ = *source++) != '\0') {
    }
    return destination;
}

NK_NO_LIBCALLS char* copy_string_bounded(char* destination, const char* source, usize max_length) {
    usize i = 0;
    for (; i < max_length && source[i] != '\0'; ++i)
        destination[i] = source[i];
    fill_memory(destination + i, 0, max_length - i);
    return destination;
}

NK_NO_LIBCALLS char* append_string(char* destination, const char* source) {
    copy_string(destination + string_length(destination), source);
    return destination;
}

} // namespace nk
