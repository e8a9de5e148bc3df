// The format engine against the host's snprintf, which serves as the reference for everything
// the two are meant to agree on, plus the deliberate differences documented in format.h.
#include <catch2/catch.hpp>

#include <format.h>

#include <cinttypes>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/types.h>
#include <vector>

// Truncation cases pass small buffers on purpose.
#pragma GCC diagnostic ignored "-Wformat-truncation"

namespace {

// Both printf implementations on the same literal format, so -Wformat checks every case.
#define CHECK_LIKE_HOST(...)                                                                       \
    do {                                                                                           \
        char expected[512];                                                                        \
        char actual[512];                                                                          \
        int expected_count = std::snprintf(expected, sizeof(expected), __VA_ARGS__);               \
        int actual_count = nk::format_to_buffer(actual, sizeof(actual), __VA_ARGS__);              \
        INFO("format_to_buffer(" #__VA_ARGS__ ")");                                                \
        CHECK(std::string(actual) == std::string(expected));                                       \
        CHECK(actual_count == expected_count);                                                     \
    } while (0)

template <typename... Args>
std::string nk_format(const char* format, Args... args) {
    char buffer[512];
    int count = nk::format_to_buffer(buffer, sizeof(buffer), format, args...);
    REQUIRE(count == int(std::strlen(buffer)));
    return buffer;
}

// A pointer the compiler cannot prove null, so -Wformat does not object to it.
const char* null_string() {
    static const char* volatile pointer = nullptr;
    return pointer;
}

} // namespace

TEST_CASE("format: plain text and %%", "[format]") {
    CHECK_LIKE_HOST("hello, world");
    CHECK_LIKE_HOST("%s", "");
    CHECK_LIKE_HOST("%%");
    CHECK_LIKE_HOST("100%% sure %%%%");
}

TEST_CASE("format: signed and unsigned decimal", "[format]") {
    CHECK_LIKE_HOST("%d", 0);
    CHECK_LIKE_HOST("%d", 1);
    CHECK_LIKE_HOST("%d", -1);
    CHECK_LIKE_HOST("%d %d", INT_MAX, INT_MIN);
    CHECK_LIKE_HOST("%i", 42);
    CHECK_LIKE_HOST("%i", -42);
    CHECK_LIKE_HOST("%u", 0u);
    CHECK_LIKE_HOST("%u", UINT_MAX);
    CHECK_LIKE_HOST("%u", 3000000000u);
}

TEST_CASE("format: hexadecimal and octal", "[format]") {
    CHECK_LIKE_HOST("%x", 0xdeadbeefu);
    CHECK_LIKE_HOST("%X", 0xdeadbeefu);
    CHECK_LIKE_HOST("%x", 0u);
    CHECK_LIKE_HOST("%o", 8u);
    CHECK_LIKE_HOST("%o", 0777u);
    CHECK_LIKE_HOST("%o", UINT_MAX);
    CHECK_LIKE_HOST("%#x", 0u);
    CHECK_LIKE_HOST("%#x", 255u);
    CHECK_LIKE_HOST("%#X", 255u);
    CHECK_LIKE_HOST("%#o", 0u);
    CHECK_LIKE_HOST("%#o", 8u);
    CHECK_LIKE_HOST("%#5o|", 8u);
    CHECK_LIKE_HOST("%#.3o", 8u);
    CHECK_LIKE_HOST("%#.5o", 8u);
    CHECK_LIKE_HOST("%#010x", 255u);
    CHECK_LIKE_HOST("%#-10x|", 255u);
    CHECK_LIKE_HOST("%#10.4x|", 255u);
    CHECK_LIKE_HOST("%#.0o", 0u);
    CHECK_LIKE_HOST("%#.0x", 0u);
}

TEST_CASE("format: width and flags", "[format]") {
    CHECK_LIKE_HOST("%5d|", 42);
    CHECK_LIKE_HOST("%-5d|", 42);
    CHECK_LIKE_HOST("%05d", 42);
    CHECK_LIKE_HOST("%05d", -42);
    CHECK_LIKE_HOST("%+d", 42);
    CHECK_LIKE_HOST("%+d", -42);
    CHECK_LIKE_HOST("%+d", 0);
    CHECK_LIKE_HOST("% d", 42);
    CHECK_LIKE_HOST("% d", -42);
    CHECK_LIKE_HOST("%+05d", 42);
    CHECK_LIKE_HOST("% 05d", 42);
    CHECK_LIKE_HOST("%1d", 12345);
    CHECK_LIKE_HOST("%08x", 0xbeefu);
    CHECK_LIKE_HOST("%-8x|", 0xbeefu);
    CHECK_LIKE_HOST("%40d|", INT_MIN);
    CHECK_LIKE_HOST("%-40u|", UINT_MAX);
}

// Flag combinations where C says one flag is ignored; -Wformat points that out, which is the
// point of these cases.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
TEST_CASE("format: overridden flags", "[format]") {
    CHECK_LIKE_HOST("%-05d|", -42); // - wins over 0
    CHECK_LIKE_HOST("%+ d", 42);    // + wins over space
    CHECK_LIKE_HOST("% +d", 42);
    CHECK_LIKE_HOST("%08.3d|", 7); // precision disables the 0 flag
    CHECK_LIKE_HOST("%-08.3x|", 7u);
}
#pragma GCC diagnostic pop

TEST_CASE("format: precision", "[format]") {
    CHECK_LIKE_HOST("%.3d", 7);
    CHECK_LIKE_HOST("%.3d", -7);
    CHECK_LIKE_HOST("%8.3d|", -7);
    CHECK_LIKE_HOST("%-8.3d|", -7);
    CHECK_LIKE_HOST("%.0d|", 0);
    CHECK_LIKE_HOST("%5.0d|", 0);
    CHECK_LIKE_HOST("%+.0d|", 0);
    CHECK_LIKE_HOST("%.d|", 0);
    CHECK_LIKE_HOST("%.0x|", 0u);
    CHECK_LIKE_HOST("%.0u|", 1u);
    CHECK_LIKE_HOST("%.20d", INT_MIN);
    CHECK_LIKE_HOST("%.10x", 0xabcu);
}

TEST_CASE("format: * width and precision", "[format]") {
    CHECK_LIKE_HOST("%*d|", 6, 42);
    CHECK_LIKE_HOST("%-*d|", 6, 42);
    CHECK_LIKE_HOST("%*d|", -6, 42); // a negative width means left alignment
    CHECK_LIKE_HOST("%.*d|", 4, 7);
    CHECK_LIKE_HOST("%.*d|", -1, 7); // a negative precision means none
    CHECK_LIKE_HOST("%*.*d|", 8, 4, -7);
    CHECK_LIKE_HOST("%0*d|", 5, 3);
    CHECK_LIKE_HOST("%.*s|", 3, "abcdef");
    CHECK_LIKE_HOST("%*s|", -7, "ab");
}

TEST_CASE("format: length modifiers", "[format]") {
    CHECK_LIKE_HOST("%lld", LLONG_MIN);
    CHECK_LIKE_HOST("%lld", LLONG_MAX);
    CHECK_LIKE_HOST("%llu", ULLONG_MAX);
    CHECK_LIKE_HOST("%llx", ULLONG_MAX);
    CHECK_LIKE_HOST("%llo", ULLONG_MAX);
    CHECK_LIKE_HOST("%#llo", ULLONG_MAX);
    CHECK_LIKE_HOST("%ld %lu", LONG_MIN, ULONG_MAX);
    CHECK_LIKE_HOST("%" PRId64 " %" PRIu64 " %" PRIx64, INT64_MIN, UINT64_MAX, UINT64_MAX);
    CHECK_LIKE_HOST("%jd %ju", INTMAX_MIN, UINTMAX_MAX);
    CHECK_LIKE_HOST("%zu %zx", SIZE_MAX, SIZE_MAX);
    CHECK_LIKE_HOST("%zd", ssize_t(-5));
    CHECK_LIKE_HOST("%td", ptrdiff_t(-7));
    CHECK_LIKE_HOST("%hhd", 300);
    CHECK_LIKE_HOST("%hhd", -129);
    CHECK_LIKE_HOST("%hhu", 257);
    CHECK_LIKE_HOST("%hhx", 0x1ff);
    CHECK_LIKE_HOST("%hd", 70000);
    CHECK_LIKE_HOST("%hu", 70000);
    CHECK_LIKE_HOST("%hx", -1);
    CHECK_LIKE_HOST("%hhd %hd %d %ld %lld", 1, 2, 3, 4L, 5LL); // mixed widths stay in step
}

TEST_CASE("format: strings and characters", "[format]") {
    CHECK_LIKE_HOST("%s", "abc");
    CHECK_LIKE_HOST("%10s|", "abc");
    CHECK_LIKE_HOST("%-10s|", "abc");
    CHECK_LIKE_HOST("%.2s|", "abc");
    CHECK_LIKE_HOST("%10.2s|", "abc");
    CHECK_LIKE_HOST("%.0s|", "abc");
    CHECK_LIKE_HOST("%.10s|", "abc");
    CHECK_LIKE_HOST("%5s|", "");
    CHECK_LIKE_HOST("%2s|", "longer than the width");
    CHECK_LIKE_HOST("%c", 'x');
    CHECK_LIKE_HOST("%5c|", 'x');
    CHECK_LIKE_HOST("%-5c|", 'x');
    CHECK_LIKE_HOST("%c%c%c", 'a', 'b', 'c');
    CHECK_LIKE_HOST("[%s:%d] %s=%#lx (%3u%%) %c", "file.c", 12, "cr3", 0x1000UL, 99u, '!');
}

TEST_CASE("format: precision bounds the read of an unterminated string", "[format]") {
    const char unterminated[3] = {'a', 'b', 'c'};
    CHECK(nk_format("%.3s", unterminated) == "abc");
    CHECK(nk_format("%.2s", unterminated) == "ab");
}

TEST_CASE("format: %c of NUL is one character", "[format]") {
    char buffer[8];
    std::memset(buffer, 'Z', sizeof(buffer));
    CHECK(nk::format_to_buffer(buffer, sizeof(buffer), "a%cb", 0) == 3);
    CHECK(std::memcmp(buffer, "a\0b\0", 4) == 0);
}

TEST_CASE("format: generated combinations agree with the host", "[format]") {
    struct Length {
        const char* modifier;
        // Passes the value as the type the modifier expects (char and short arrive as int).
        int (*format_signed)(char*, size_t, bool use_nk, const char*, int64_t);
        int (*format_unsigned)(char*, size_t, bool use_nk, const char*, uint64_t);
    };
#define LENGTH(modifier, signed_type, unsigned_type)                                               \
    Length {                                                                                       \
        modifier,                                                                                  \
            [](char* out, size_t size, bool use_nk, const char* format, int64_t value) {           \
                auto argument = static_cast<signed_type>(value);                                   \
                return use_nk ? nk::format_to_buffer(out, size, format, argument)                  \
                              : std::snprintf(out, size, format, argument);                        \
            },                                                                                     \
            [](char* out, size_t size, bool use_nk, const char* format, uint64_t value) {          \
                auto argument = static_cast<unsigned_type>(value);                                 \
                return use_nk ? nk::format_to_buffer(out, size, format, argument)                  \
                              : std::snprintf(out, size, format, argument);                        \
            }                                                                                      \
    }
    const Length lengths[] = {
        LENGTH("", int, unsigned),
        LENGTH("hh", int, unsigned),
        LENGTH("h", int, unsigned),
        LENGTH("l", long, unsigned long),
        LENGTH("ll", long long, unsigned long long),
        LENGTH("z", ssize_t, size_t),
        LENGTH("t", ptrdiff_t, size_t),
        LENGTH("j", intmax_t, uintmax_t),
    };
#undef LENGTH
    const uint64_t values[] = {0,
                               1,
                               7,
                               8,
                               15,
                               16,
                               127,
                               128,
                               255,
                               256,
                               0x8000,
                               0xffff,
                               uint64_t(INT_MAX),
                               uint64_t(INT_MIN),
                               UINT_MAX,
                               12345678901234ULL,
                               uint64_t(LLONG_MAX),
                               uint64_t(LLONG_MIN),
                               uint64_t(-1),
                               uint64_t(-128),
                               uint64_t(-129)};
    const char* widths[] = {"", "1", "6", "25"};
    const char* precisions[] = {"", ".", ".0", ".1", ".4", ".22"};

    int compared = 0;
    int mismatches = 0;
    for (char conversion : std::string("diuxXo")) {
        bool is_signed = conversion == 'd' || conversion == 'i';
        // Only the flags C defines for the conversion: + and space for signed ones, # for x/X/o.
        std::string allowed = "-0";
        allowed += is_signed ? "+ " : (conversion == 'u' ? "" : "#");
        for (unsigned mask = 0; mask < (1u << allowed.size()); ++mask) {
            std::string flags;
            for (size_t bit = 0; bit < allowed.size(); ++bit) {
                if (mask & (1u << bit))
                    flags += allowed[bit];
            }
            for (const Length& length : lengths) {
                for (const char* width : widths) {
                    for (const char* precision : precisions) {
                        std::string format =
                            "[%" + flags + width + precision + length.modifier + conversion + "]";
                        for (uint64_t value : values) {
                            char expected[128];
                            char actual[128];
                            int expected_count, actual_count;
                            if (is_signed) {
                                expected_count = length.format_signed(expected, sizeof(expected),
                                                                      false, format.c_str(), value);
                                actual_count = length.format_signed(actual, sizeof(actual), true,
                                                                    format.c_str(), value);
                            } else {
                                expected_count = length.format_unsigned(
                                    expected, sizeof(expected), false, format.c_str(), value);
                                actual_count = length.format_unsigned(actual, sizeof(actual), true,
                                                                      format.c_str(), value);
                            }
                            ++compared;
                            if (expected_count != actual_count ||
                                std::strcmp(expected, actual) != 0) {
                                if (++mismatches <= 10) {
                                    FAIL_CHECK(format << " of " << value << ": host \"" << expected
                                                      << "\", nk \"" << actual << "\"");
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    INFO(compared << " combinations compared");
    CHECK(compared > 100000);
    CHECK(mismatches == 0);
}

TEST_CASE("format: truncation to small buffers", "[format]") {
    // Every buffer size from 0 to past the full length: same bytes written as the host, the same
    // untruncated return value, and nothing written past size.
    auto check_all_sizes = [](auto format_both) {
        char probe[256];
        int full = format_both(probe, sizeof(probe), false);
        for (size_t size = 0; size <= size_t(full) + 2; ++size) {
            char expected[256];
            char actual[256];
            std::memset(expected, 'Z', sizeof(expected));
            std::memset(actual, 'Z', sizeof(actual));
            INFO("size " << size);
            CHECK(format_both(expected, size, false) == full);
            CHECK(format_both(actual, size, true) == full);
            CHECK(std::memcmp(expected, actual, sizeof(actual)) == 0);
        }
    };
    check_all_sizes([](char* out, size_t size, bool use_nk) {
        return use_nk ? nk::format_to_buffer(out, size, "%d", 12345)
                      : std::snprintf(out, size, "%d", 12345);
    });
    check_all_sizes([](char* out, size_t size, bool use_nk) {
        return use_nk ? nk::format_to_buffer(out, size, "x=%-6s|%#08llx|", "ab", 0xfeedULL)
                      : std::snprintf(out, size, "x=%-6s|%#08llx|", "ab", 0xfeedULL);
    });
    check_all_sizes([](char* out, size_t size, bool use_nk) {
        return use_nk ? nk::format_to_buffer(out, size, "%40d", -1)
                      : std::snprintf(out, size, "%40d", -1);
    });
}

TEST_CASE("format: a zero-sized null buffer measures", "[format]") {
    CHECK(nk::format_to_buffer(nullptr, 0, "%s-%d", "abc", 1234) == 8);
    const char* empty = "";
    CHECK(nk::format_to_buffer(nullptr, 0, empty) == 0);
}

TEST_CASE("format: %p is 0x and 16 hex digits", "[format]") {
    CHECK(nk_format("%p", reinterpret_cast<void*>(0x1234)) == "0x0000000000001234");
    CHECK(nk_format("%p", static_cast<void*>(nullptr)) == "0x0000000000000000");
    CHECK(nk_format("%p", reinterpret_cast<void*>(UINTPTR_MAX)) == "0xffffffffffffffff");
    CHECK(nk_format("%p", reinterpret_cast<void*>(0xffffffff80000000)) == "0xffffffff80000000");
    CHECK(nk_format("%20p|", reinterpret_cast<void*>(0xabc)) == "  0x0000000000000abc|");
    CHECK(nk_format("%-20p|", reinterpret_cast<void*>(0xabc)) == "0x0000000000000abc  |");
}

TEST_CASE("format: %s of NULL", "[format]") {
    CHECK(nk_format("%s", null_string()) == "(null)");
    CHECK(nk_format("%8s|", null_string()) == "  (null)|");
    CHECK(nk_format("%-8s|", null_string()) == "(null)  |");
    CHECK(nk_format("%.3s|", null_string()) == "(nu|");
}

TEST_CASE("format: %n writes nothing and keeps arguments in step", "[format]") {
    int untouched = 7;
    CHECK(nk_format("a%nb%d", &untouched, 5) == "ab5");
    CHECK(untouched == 7);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
TEST_CASE("format: unknown and truncated conversions are printed as written", "[format]") {
    CHECK(nk_format("%y") == "%y");
    CHECK(nk_format("a%-5yb") == "a%-5yb");
    CHECK(nk_format("%lly|%d", 3) == "%lly|3");
    CHECK(nk_format("%f", 1) == "%f"); // no floating point in the kernel
    CHECK(nk_format("100%") == "100%");
    CHECK(nk_format("abc%5") == "abc%5");
    CHECK(nk_format("abc%-08.3ll") == "abc%-08.3ll");
    // The * argument of an unknown conversion is consumed.
    CHECK(nk_format("%*y %d", 4, 9) == "%*y 9");
}
#pragma GCC diagnostic pop

TEST_CASE("format: huge widths are clamped, not overflowed", "[format]") {
    char buffer[16];
    CHECK(nk::format_to_buffer(buffer, sizeof(buffer), "%5000000d", 1) == 1 << 20);
    CHECK(std::string(buffer) == std::string(15, ' '));
    volatile int most_negative = INT_MIN; // hidden from -Wformat-overflow
    CHECK(nk::format_to_buffer(buffer, sizeof(buffer), "%*d", most_negative, 1) == 1 << 20);
    CHECK(std::string(buffer) == "1" + std::string(14, ' '));
}

TEST_CASE("format: a custom sink receives every piece and the count", "[format]") {
    std::string collected;
    std::vector<size_t> piece_lengths;
    struct Context {
        std::string* text;
        std::vector<size_t>* pieces;
    } context{&collected, &piece_lengths};
    auto sink = [](void* raw, const char* data, size_t length) {
        auto* target = static_cast<Context*>(raw);
        target->text->append(data, length);
        target->pieces->push_back(length);
    };
    int count = nk::format(sink, &context, "id=%u name=%-70s|", 17u, "disk");
    CHECK(count == int(collected.size()));
    CHECK(collected == "id=17 name=disk" + std::string(66, ' ') + "|");
    for (size_t length : piece_lengths)
        CHECK(length > 0);
    // Padding goes out in chunks, not a character at a time.
    CHECK(piece_lengths.size() < 10);
}
