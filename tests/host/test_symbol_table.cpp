#include <catch2/catch.hpp>

#include <kernel/debug/symbol_table.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using kernel::SymbolTable;

namespace {

struct Symbol {
    uint64_t address;
    uint32_t size;
    std::string name;
};

// Builds a blob in the layout make_symbol_table.py writes.
std::vector<uint8_t> make_blob(const std::vector<Symbol>& symbols) {
    std::string strings;
    std::vector<uint8_t> entries;
    for (const auto& symbol : symbols) {
        uint32_t offset = uint32_t(strings.size());
        strings += symbol.name;
        strings.push_back('\0');
        uint8_t entry[16];
        std::memcpy(entry, &symbol.address, 8);
        std::memcpy(entry + 8, &symbol.size, 4);
        std::memcpy(entry + 12, &offset, 4);
        entries.insert(entries.end(), entry, entry + 16);
    }
    uint32_t header[4] = {kernel::SYMBOL_TABLE_MAGIC, uint32_t(symbols.size()),
                          uint32_t(16 + entries.size()), uint32_t(strings.size())};
    std::vector<uint8_t> blob(reinterpret_cast<uint8_t*>(header),
                              reinterpret_cast<uint8_t*>(header) + 16);
    blob.insert(blob.end(), entries.begin(), entries.end());
    blob.insert(blob.end(), strings.begin(), strings.end());
    return blob;
}

const std::vector<Symbol> sample = {
    {0x1000, 0x20, "kmain"},
    {0x1020, 0x10, "kernel::panic(char const*, ...)"},
    {0x1100, 0, "start64_high"},
};

} // namespace

TEST_CASE("symbol table finds the containing function", "[symbols]") {
    auto blob = make_blob(sample);
    auto table = SymbolTable::parse(blob.data(), blob.size());
    REQUIRE(table.has_value());
    CHECK(table.value().count() == 3);

    auto hit = table.value().lookup(0x1025);
    REQUIRE(hit.has_value());
    CHECK(std::string(hit.value().name) == "kernel::panic(char const*, ...)");
    CHECK(hit.value().offset == 5);
    CHECK(table.value().lookup(0x1000).value().offset == 0);
    // Below the first symbol, and past a sized symbol's end: nothing.
    CHECK(table.value().lookup(0xfff).is_error());
    CHECK(table.value().lookup(0x1030).is_error());
    // A symbol of unknown size covers up to wherever the caller asks.
    CHECK(std::string(table.value().lookup(0x2000).value().name) == "start64_high");
    CHECK(table.value().address_of("kmain").value() == 0x1000);
    CHECK(table.value().address_of("nope").is_error());
}

TEST_CASE("an empty symbol table parses and finds nothing", "[symbols]") {
    auto blob = make_blob({});
    auto table = SymbolTable::parse(blob.data(), blob.size());
    REQUIRE(table.has_value());
    CHECK(table.value().lookup(0x1000).is_error());
}

TEST_CASE("corrupt symbol tables are refused", "[symbols]") {
    auto good = make_blob(sample);
    CHECK(SymbolTable::parse(nullptr, 100).is_error());
    CHECK(SymbolTable::parse(good.data(), 15).is_error());

    auto bad_magic = good;
    bad_magic[0] ^= 0xff;
    CHECK(SymbolTable::parse(bad_magic.data(), bad_magic.size()).error() == nk::Error::Corrupt);

    // Every truncation of a valid blob is refused (the string area or entries run past the end).
    for (size_t size = 0; size < good.size(); ++size) {
        std::vector<uint8_t> cut(good.begin(), good.begin() + long(size));
        CHECK(SymbolTable::parse(cut.data(), cut.size()).is_error());
    }

    auto unterminated = good;
    unterminated.back() = 'x';
    CHECK(SymbolTable::parse(unterminated.data(), unterminated.size()).is_error());

    auto unsorted = make_blob({{0x2000, 0, "b"}, {0x1000, 0, "a"}});
    CHECK(SymbolTable::parse(unsorted.data(), unsorted.size()).is_error());

    auto wild_name = good;
    uint32_t huge = 0xffffff;
    std::memcpy(wild_name.data() + 16 + 12, &huge, 4);
    CHECK(SymbolTable::parse(wild_name.data(), wild_name.size()).is_error());

    auto huge_count = good;
    uint32_t count = 0x10000000;
    std::memcpy(huge_count.data() + 4, &count, 4);
    CHECK(SymbolTable::parse(huge_count.data(), huge_count.size()).is_error());
}
