#include <catch2/catch.hpp>

#include <nk/intrusive_list.h>
#include <nk/result.h>
#include <nk/span.h>

#include <cstring>

using nk::Error;
using nk::ErrorOr;
using nk::Result;

namespace {

Result<int> parse_digit(char c) {
    if (c < '0' || c > '9')
        return Error::Invalid;
    return c - '0';
}

Result<int> sum_digits(const char* text) {
    int sum = 0;
    for (; *text; ++text)
        sum += TRY(parse_digit(*text));
    return sum;
}

ErrorOr check_even(int value) {
    if (value % 2)
        return Error::Range;
    return {};
}

struct Item {
    int value;
    nk::IntrusiveListNode node;
};

} // namespace

TEST_CASE("TRY propagates the first error and yields values otherwise", "[result]") {
    auto ok = sum_digits("123");
    REQUIRE(ok.has_value());
    CHECK(ok.value() == 6);
    auto bad = sum_digits("12x3");
    REQUIRE(bad.is_error());
    CHECK(bad.error() == Error::Invalid);
    CHECK(check_even(4).has_value());
    CHECK(check_even(3).error() == Error::Range);
}

TEST_CASE("errors have POSIX names and texts", "[result]") {
    CHECK(std::strcmp(nk::error_name(Error::NoEntry), "ENOENT") == 0);
    CHECK(std::strcmp(nk::error_string(Error::NoSpace), "No space left on device") == 0);
    CHECK(static_cast<int>(Error::Exists) == 17);
    CHECK(std::strcmp(nk::error_name(static_cast<Error>(9999)), "E?") == 0);
}

TEST_CASE("intrusive list keeps order and allows removal while iterating", "[list]") {
    Item items[5];
    nk::IntrusiveList<Item, &Item::node> list;
    for (int i = 0; i < 5; ++i) {
        items[i].value = i;
        list.push_back(items[i]);
    }
    CHECK(list.size() == 5);
    for (auto& item : list) {
        if (item.value % 2 == 0)
            list.remove(item);
    }
    CHECK(list.size() == 2);
    CHECK(list.first()->value == 1);
    CHECK(list.last()->value == 3);
    CHECK_FALSE(items[0].node.is_linked());
    CHECK(list.contains(items[3]));
    CHECK(list.pop_front()->value == 1);
    CHECK(list.pop_front()->value == 3);
    CHECK(list.is_empty());
    CHECK(list.pop_front() == nullptr);
}

TEST_CASE("span slices never run past the end", "[span]") {
    nk::u8 data[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    nk::Bytes bytes(data);
    CHECK(bytes.slice(2, 3).size() == 3);
    CHECK(bytes.slice(2, 3)[0] == 2);
    CHECK(bytes.slice(6, 3).is_empty());
    CHECK(bytes.slice(9).is_empty());
    CHECK(bytes.slice(8).is_empty());
}
