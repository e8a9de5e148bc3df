// The logic behind the kernel's <string.h>, <ctype.h> and <stdlib.h>, tested through the nk::
// functions (the C-named wrappers are kernel only), with the host's C library as the reference
// where the two must agree.
#include <catch2/catch.hpp>

#include <nk_ctype.h>
#include <nk_stdlib.h>
#include <nk_string.h>

#include <cctype>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

int sign(int value) {
    return (value > 0) - (value < 0);
}

std::vector<unsigned char> pattern(size_t size) {
    std::vector<unsigned char> bytes(size);
    for (size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<unsigned char>(i * 7 + 3);
    return bytes;
}

} // namespace

TEST_CASE("string: copy_memory copies every length and returns the destination", "[string]") {
    auto source = pattern(300);
    for (size_t length : {0, 1, 2, 7, 8, 9, 63, 64, 65, 255, 300}) {
        std::vector<unsigned char> destination(310, 0xee);
        CHECK(nk::copy_memory(destination.data() + 1, source.data(), length) ==
              destination.data() + 1);
        CHECK(destination[0] == 0xee);
        CHECK(std::memcmp(destination.data() + 1, source.data(), length) == 0);
        CHECK(destination[length + 1] == 0xee);
    }
}

TEST_CASE("string: move_memory handles overlap in both directions", "[string]") {
    for (size_t length : {1, 5, 16, 100}) {
        for (size_t shift : {1, 3, 8, 40}) {
            INFO("length " << length << " shift " << shift);
            // Destination above the source: must copy from the end.
            auto up = pattern(length + shift);
            auto expected_up = up;
            std::memmove(expected_up.data() + shift, expected_up.data(), length);
            CHECK(nk::move_memory(up.data() + shift, up.data(), length) == up.data() + shift);
            CHECK(up == expected_up);

            // Destination below the source: a forward copy.
            auto down = pattern(length + shift);
            auto expected_down = down;
            std::memmove(expected_down.data(), expected_down.data() + shift, length);
            CHECK(nk::move_memory(down.data(), down.data() + shift, length) == down.data());
            CHECK(down == expected_down);
        }
    }
    auto same = pattern(32);
    auto expected = same;
    nk::move_memory(same.data(), same.data(), same.size());
    CHECK(same == expected);
    nk::move_memory(same.data(), nullptr, 0);
    CHECK(same == expected);
}

TEST_CASE("string: fill_memory uses the low byte of its value", "[string]") {
    std::vector<unsigned char> buffer(70, 1);
    CHECK(nk::fill_memory(buffer.data() + 2, 0x1ab, 65) == buffer.data() + 2);
    CHECK(buffer[1] == 1);
    for (size_t i = 2; i < 67; ++i)
        CHECK(buffer[i] == 0xab);
    CHECK(buffer[67] == 1);
    nk::fill_memory(buffer.data(), 0, 0);
    CHECK(buffer[0] == 1);
}

TEST_CASE("string: compare_memory and find_byte treat bytes as unsigned", "[string]") {
    const unsigned char low[] = {1, 2, 0x7f};
    const unsigned char high[] = {1, 2, 0x80};
    CHECK(nk::compare_memory(low, high, 3) < 0);
    CHECK(nk::compare_memory(high, low, 3) > 0);
    CHECK(nk::compare_memory(low, high, 2) == 0);
    CHECK(nk::compare_memory(low, high, 0) == 0);

    const char data[] = "abc\xff"
                        "def";
    CHECK(nk::find_byte(data, 0xff, 7) == data + 3);
    CHECK(nk::find_byte(data, -1, 7) == data + 3);
    CHECK(nk::find_byte(data, 'f', 7) == data + 6);
    CHECK(nk::find_byte(data, 'f', 6) == nullptr);
    CHECK(nk::find_byte(data, '\0', 8) == data + 7);
}

TEST_CASE("string: lengths", "[string]") {
    CHECK(nk::string_length("") == 0);
    CHECK(nk::string_length("kernel") == 6);
    CHECK(nk::string_length_bounded("kernel", 3) == 3);
    CHECK(nk::string_length_bounded("kernel", 100) == 6);
    CHECK(nk::string_length_bounded("kernel", 0) == 0);
    const char unterminated[4] = {'a', 'b', 'c', 'd'};
    CHECK(nk::string_length_bounded(unterminated, 4) == 4);
}

TEST_CASE("string: comparisons agree in sign with the host", "[string]") {
    const char* strings[] = {"", "a", "ab", "abc", "abd", "b", "\x80", "\x7f", "ABC", "abc\x90"};
    for (const char* a : strings) {
        for (const char* b : strings) {
            INFO('"' << a << "\" vs \"" << b << '"');
            CHECK(sign(nk::compare_strings(a, b)) == sign(std::strcmp(a, b)));
            for (size_t n : {0, 1, 2, 3, 10})
                CHECK(sign(nk::compare_strings_bounded(a, b, n)) == sign(std::strncmp(a, b, n)));
        }
    }
}

TEST_CASE("string: character and substring search", "[string]") {
    const char* text = "a/b/c";
    CHECK(nk::find_char(text, '/') == text + 1);
    CHECK(nk::find_last_char(text, '/') == text + 3);
    CHECK(nk::find_char(text, 'x') == nullptr);
    CHECK(nk::find_last_char(text, 'x') == nullptr);
    CHECK(nk::find_char(text, '\0') == text + 5);
    CHECK(nk::find_last_char(text, '\0') == text + 5);
    CHECK(nk::find_char("\xe9t\xe9", 0xe9) != nullptr); // the int is converted to char

    const char* haystack = "the needle in the haystack";
    CHECK(nk::find_substring(haystack, "needle") == haystack + 4);
    CHECK(nk::find_substring(haystack, "the") == haystack);
    CHECK(nk::find_substring(haystack, "stack") == haystack + 21);
    CHECK(nk::find_substring(haystack, "") == haystack);
    CHECK(nk::find_substring(haystack, "stacks") == nullptr);
    CHECK(nk::find_substring("", "a") == nullptr);
    CHECK(nk::find_substring("aaab", "aab") != nullptr);
}

TEST_CASE("string: copying and appending", "[string]") {
    char buffer[16];
    std::memset(buffer, 'Z', sizeof(buffer));
    CHECK(nk::copy_string(buffer, "abc") == buffer);
    CHECK(std::memcmp(buffer, "abc\0Z", 5) == 0);
    CHECK(nk::append_string(buffer, "de") == buffer);
    CHECK(std::string(buffer) == "abcde");
    nk::append_string(buffer, "");
    CHECK(std::string(buffer) == "abcde");

    // strncpy pads with NULs to the full length, and does not terminate when the source is long.
    std::memset(buffer, 'Z', sizeof(buffer));
    CHECK(nk::copy_string_bounded(buffer, "ab", 6) == buffer);
    CHECK(std::memcmp(buffer, "ab\0\0\0\0Z", 7) == 0);
    std::memset(buffer, 'Z', sizeof(buffer));
    nk::copy_string_bounded(buffer, "abcdef", 3);
    CHECK(std::memcmp(buffer, "abcZ", 4) == 0);
    nk::copy_string_bounded(buffer, "abc", 0);
    CHECK(buffer[0] == 'a');
}

TEST_CASE("string: ctype matches the host's C locale for every byte and EOF", "[string]") {
    for (int c = -1; c <= 255; ++c) {
        INFO("character " << c);
        CHECK(nk::is_digit(c) == bool(std::isdigit(c)));
        CHECK(nk::is_hex_digit(c) == bool(std::isxdigit(c)));
        CHECK(nk::is_alpha(c) == bool(std::isalpha(c)));
        CHECK(nk::is_alnum(c) == bool(std::isalnum(c)));
        CHECK(nk::is_space(c) == bool(std::isspace(c)));
        CHECK(nk::is_upper(c) == bool(std::isupper(c)));
        CHECK(nk::is_lower(c) == bool(std::islower(c)));
        CHECK(nk::is_print(c) == bool(std::isprint(c)));
        CHECK(nk::is_punct(c) == bool(std::ispunct(c)));
        CHECK(nk::is_control(c) == bool(std::iscntrl(c)));
        CHECK(nk::to_upper(c) == std::toupper(c));
        CHECK(nk::to_lower(c) == std::tolower(c));
    }
    static_assert(nk::is_digit('7') && !nk::is_digit('a'));
}

TEST_CASE("string: integer parsing agrees with the host's strtoll/strtoull", "[string]") {
    const char* inputs[] = {"0",
                            "42",
                            "-42",
                            "+42",
                            "  \t\n42",
                            "\v\f\r 7",
                            "   -0x1F",
                            "0x1f",
                            "0X1F",
                            "0x",
                            "0xg",
                            "0x0x1",
                            "010",
                            "08",
                            "0",
                            "-",
                            "+",
                            "",
                            "   ",
                            "abc",
                            "z",
                            "Zz",
                            "123abc",
                            " +-1",
                            "--1",
                            "1e5",
                            "1010",
                            "777",
                            "9223372036854775807",
                            "9223372036854775808",
                            "-9223372036854775808",
                            "-9223372036854775809",
                            "18446744073709551615",
                            "18446744073709551616",
                            "-1",
                            "-18446744073709551615",
                            "-18446744073709551616",
                            "99999999999999999999999999x",
                            "0xffffffffffffffff",
                            "0x10000000000000000",
                            "-0x8000000000000000",
                            "1111111111111111111111111111111111111111111111111111111111111111",
                            "10000000000000000000000000000000000000000000000000000000000000000",
                            "3w5e11264sgsf",
                            "3w5e11264sgsg"};
    for (const char* input : inputs) {
        for (int base : {0, 2, 8, 10, 16, 36}) {
            INFO('"' << input << "\" base " << base);
            char* host_end;
            long long host_signed = std::strtoll(input, &host_end, base);
            const char* end = nullptr;
            CHECK(nk::parse_signed(input, &end, base) == host_signed);
            CHECK(end == host_end);

            unsigned long long host_unsigned = std::strtoull(input, &host_end, base);
            end = nullptr;
            CHECK(nk::parse_unsigned(input, &end, base) == host_unsigned);
            CHECK(end == host_end);
        }
    }
}

TEST_CASE("string: integer parsing edge cases", "[string]") {
    const char* end = nullptr;

    // Overflow clamps and still consumes every digit.
    const char* huge = "123456789012345678901234567890 rest";
    CHECK(nk::parse_unsigned(huge, &end, 10) == UINT64_MAX);
    CHECK(end == huge + 30);
    CHECK(nk::parse_signed(huge, &end, 10) == INT64_MAX);
    CHECK(nk::parse_signed("-123456789012345678901234567890", nullptr, 10) == INT64_MIN);
    CHECK(nk::parse_signed("-9223372036854775808", nullptr, 10) == INT64_MIN);
    CHECK(nk::parse_unsigned("18446744073709551616", nullptr, 0) == UINT64_MAX);
    CHECK(nk::parse_unsigned("-1", nullptr, 10) == UINT64_MAX);
    CHECK(nk::parse_unsigned("-18446744073709551616", nullptr, 10) == UINT64_MAX);

    // Base 0 picks the base from the prefix.
    CHECK(nk::parse_signed("0x7f", nullptr, 0) == 127);
    CHECK(nk::parse_signed("0X7F", nullptr, 0) == 127);
    CHECK(nk::parse_signed("017", nullptr, 0) == 15);
    CHECK(nk::parse_signed("17", nullptr, 0) == 17);
    CHECK(nk::parse_signed("-0x10", nullptr, 0) == -16);
    CHECK(nk::parse_signed("0x7f", nullptr, 16) == 127);
    CHECK(nk::parse_signed("0x7f", nullptr, 10) == 0);
    CHECK(nk::parse_signed("zz", nullptr, 36) == 35 * 36 + 35);
    CHECK(nk::parse_signed("ZZ", nullptr, 36) == 35 * 36 + 35);

    // "0x" without a hex digit after it is the number 0 followed by 'x'.
    const char* bare_prefix = "0xyz";
    CHECK(nk::parse_unsigned(bare_prefix, &end, 0) == 0);
    CHECK(end == bare_prefix + 1);
    CHECK(nk::parse_unsigned(bare_prefix, &end, 16) == 0);
    CHECK(end == bare_prefix + 1);

    // Leading white space and a sign, and the end pointer sits after the last digit.
    const char* spaced = " \t -12ab";
    CHECK(nk::parse_signed(spaced, &end, 10) == -12);
    CHECK(end == spaced + 6);

    // No digits at all: the result is 0 and end is the start of the text, not past the spaces.
    for (const char* no_digits : {"", "   ", "  -", "+", "  x1", "- 1"}) {
        end = nullptr;
        CHECK(nk::parse_signed(no_digits, &end, 10) == 0);
        CHECK(end == no_digits);
        end = nullptr;
        CHECK(nk::parse_unsigned(no_digits, &end, 0) == 0);
        CHECK(end == no_digits);
    }

    // Invalid bases parse nothing.
    for (int base : {-1, 1, 37, 100}) {
        end = nullptr;
        CHECK(nk::parse_signed("123", &end, base) == 0);
        CHECK(std::string(end) == "123");
    }

    // A null end pointer is allowed.
    CHECK(nk::parse_unsigned("99", nullptr, 10) == 99);
}
