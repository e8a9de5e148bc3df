#include <nk_ctype.h>
#include <nk_stdlib.h>

namespace nk {

namespace {

constexpr u64 U64_MAX = ~u64(0);
constexpr u64 I64_MAX_MAGNITUDE = U64_MAX >> 1;

// Returns a value >= 36 for characters that are not digits in any base.
unsigned digit_value(char c) {
    if (is_digit(c))
        return unsigned(c - '0');
    if (is_lower(c))
        return unsigned(c - 'a' + 10);
    if (is_upper(c))
        return unsigned(c - 'A' + 10);
    return 36;
}

struct Magnitude {
    u64 value = 0;
    bool negative = false;
    bool overflow = false;
};

// The shared part of the strto* family: everything up to the sign-dependent clamping. The
// magnitude saturates at the limit for its sign and overflow is set when it would exceed it.
Magnitude parse_magnitude(const char* text, const char** end, int base, u64 positive_limit,
                          u64 negative_limit) {
    Magnitude result;
    const char* p = text;
    if (end)
        *end = text;
    if (base < 0 || base == 1 || base > 36)
        return result;

    while (is_space(*p))
        ++p;
    if (*p == '+' || *p == '-') {
        result.negative = *p == '-';
        ++p;
    }
    // The prefix only counts when a hex digit follows; otherwise "0x" parses as the number 0
    // followed by an 'x' the caller sees through end.
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        is_hex_digit(p[2])) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }

    u64 max = result.negative ? negative_limit : positive_limit;
    const char* first_digit = p;
    for (;; ++p) {
        unsigned digit = digit_value(*p);
        if (digit >= unsigned(base))
            break;
        // Digits after an overflow are still consumed, as C requires.
        if (result.overflow)
            continue;
        if (result.value > (max - digit) / unsigned(base)) {
            result.overflow = true;
            result.value = max;
            continue;
        }
        result.value = result.value * unsigned(base) + digit;
    }
    if (p != first_digit && end)
        *end = p;
    return result;
}

} // namespace

i64 parse_signed(const char* text, const char** end, int base) {
    // The most negative value has one more unit of magnitude than the most positive.
    Magnitude magnitude =
        parse_magnitude(text, end, base, I64_MAX_MAGNITUDE, I64_MAX_MAGNITUDE + 1);
    if (!magnitude.negative)
        return i64(magnitude.value);
    // Negating in unsigned arithmetic keeps 2^63 -> INT64_MIN well defined.
    return i64(u64(0) - magnitude.value);
}

u64 parse_unsigned(const char* text, const char** end, int base) {
    Magnitude magnitude = parse_magnitude(text, end, base, U64_MAX, U64_MAX);
    if (magnitude.overflow)
        return U64_MAX;
    return magnitude.negative ? u64(0) - magnitude.value : magnitude.value;
}

} // namespace nk
