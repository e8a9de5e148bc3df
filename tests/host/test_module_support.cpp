// The module support library's own functions (nooks/support.h), which every extension links.
#include <catch2/catch.hpp>

#include <nooks/support.h>

TEST_CASE("nk_parse_decimal reads leading digits within a limit", "[support]") {
    uint64_t value = 7;
    const char* text = "8080";
    const char* end = nk_parse_decimal(text, 65535, &value);
    REQUIRE(end == text + 4);
    CHECK(*end == 0);
    CHECK(value == 8080);

    // A prefix: the pointer stops at the first non-digit.
    text = "10.0.2.100:5000";
    end = nk_parse_decimal(text, 255, &value);
    REQUIRE(end == text + 2);
    CHECK(*end == '.');
    CHECK(value == 10);

    CHECK(nk_parse_decimal("0", 0, &value) != nullptr);
    CHECK(value == 0);
    CHECK(nk_parse_decimal("65535", 65535, &value) != nullptr);
    CHECK(value == 65535);
}

TEST_CASE("nk_parse_decimal refuses no digits and numbers past the limit", "[support]") {
    uint64_t value = 42;
    CHECK(nk_parse_decimal("", 100, &value) == nullptr);
    CHECK(nk_parse_decimal("x1", 100, &value) == nullptr);
    CHECK(nk_parse_decimal("-1", 100, &value) == nullptr);
    CHECK(nk_parse_decimal("65536", 65535, &value) == nullptr);
    CHECK(nk_parse_decimal("256", 255, &value) == nullptr);
    // Far past any 64-bit value: refused at the limit, before it could wrap.
    CHECK(nk_parse_decimal("99999999999999999999999999", 1000000, &value) == nullptr);
    CHECK(value == 42); // untouched when refused
}
