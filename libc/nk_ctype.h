// Character classification for the "C" locale, the logic behind <ctype.h>. Header-only and
// constexpr so the format engine and the integer parser use it without a call; the kernel's
// C-named wrappers live in ctype.cpp. Like the C functions, these take an int that is either an
// unsigned char value or EOF; anything else is simply not in any class.
#pragma once

namespace nk {

constexpr bool is_digit(int c) {
    return c >= '0' && c <= '9';
}
constexpr bool is_upper(int c) {
    return c >= 'A' && c <= 'Z';
}
constexpr bool is_lower(int c) {
    return c >= 'a' && c <= 'z';
}
constexpr bool is_alpha(int c) {
    return is_upper(c) || is_lower(c);
}
constexpr bool is_alnum(int c) {
    return is_alpha(c) || is_digit(c);
}
constexpr bool is_hex_digit(int c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// Space, \t, \n, \v, \f, \r.
constexpr bool is_space(int c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}
constexpr bool is_print(int c) {
    return c >= 0x20 && c <= 0x7e;
}
constexpr bool is_control(int c) {
    return (c >= 0 && c < 0x20) || c == 0x7f;
}
constexpr bool is_punct(int c) {
    return is_print(c) && c != ' ' && !is_alnum(c);
}
constexpr int to_upper(int c) {
    return is_lower(c) ? c - 'a' + 'A' : c;
}
constexpr int to_lower(int c) {
    return is_upper(c) ? c - 'A' + 'a' : c;
}

} // namespace nk
