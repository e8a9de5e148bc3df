#include <catch2/catch.hpp>

#include <kernel/boot/multiboot2.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

using kernel::BootInfo;
using kernel::MemoryType;
using kernel::parse_multiboot2;
using nk::Error;
using nk::u32;
using nk::u64;
using nk::u8;

namespace {

// Builds a boot information structure as a loader would (Multiboot2 spec 3.6): an 8-byte header,
// then tags padded to 8 bytes. finish() fills in total_size unless told otherwise.
class InfoBuilder {
public:
    InfoBuilder() : m_bytes(8, 0) {}

    InfoBuilder& tag(u32 type, const void* payload, size_t length) {
        put32(type);
        put32(u32(8 + length));
        const u8* bytes = static_cast<const u8*>(payload);
        m_bytes.insert(m_bytes.end(), bytes, bytes + length);
        while (m_bytes.size() % 8)
            m_bytes.push_back(0);
        return *this;
    }
    // A raw tag header with any size, for malformed structures.
    InfoBuilder& raw_header(u32 type, u32 size) {
        put32(type);
        put32(size);
        return *this;
    }
    InfoBuilder& string(u32 type, const char* text) {
        return tag(type, text, std::strlen(text) + 1);
    }
    InfoBuilder& module(u32 start, u32 end, const char* text) {
        std::vector<u8> payload(8);
        std::memcpy(&payload[0], &start, 4);
        std::memcpy(&payload[4], &end, 4);
        payload.insert(payload.end(), text, text + std::strlen(text) + 1);
        return tag(3, payload.data(), payload.size());
    }
    InfoBuilder& basic_memory(u32 lower, u32 upper) {
        u32 payload[2] = {lower, upper};
        return tag(4, payload, sizeof(payload));
    }
    struct Region {
        u64 base;
        u64 length;
        u32 type;
    };
    InfoBuilder& memory_map(const std::vector<Region>& regions, u32 entry_size = 24) {
        std::vector<u8> payload(8 + regions.size() * entry_size, 0);
        u32 version = 0;
        std::memcpy(&payload[0], &entry_size, 4);
        std::memcpy(&payload[4], &version, 4);
        for (size_t i = 0; i < regions.size(); ++i) {
            u8* entry = &payload[8 + i * entry_size];
            if (entry_size >= 8)
                std::memcpy(entry, &regions[i].base, 8);
            if (entry_size >= 16)
                std::memcpy(entry + 8, &regions[i].length, 8);
            if (entry_size >= 20)
                std::memcpy(entry + 16, &regions[i].type, 4);
        }
        return tag(6, payload.data(), payload.size());
    }
    InfoBuilder& framebuffer(u64 address, u32 pitch, u32 width, u32 height, u8 bpp, u8 type) {
        u8 payload[24] = {};
        std::memcpy(&payload[0], &address, 8);
        std::memcpy(&payload[8], &pitch, 4);
        std::memcpy(&payload[12], &width, 4);
        std::memcpy(&payload[16], &height, 4);
        payload[20] = bpp;
        payload[21] = type;
        return tag(8, payload, sizeof(payload));
    }
    InfoBuilder& end() { return raw_header(0, 8); }

    // The bytes, with total_size set to their length or to `total_size` when given.
    std::vector<u8> finish(long total_size = -1) const {
        std::vector<u8> bytes = m_bytes;
        u32 total = total_size < 0 ? u32(bytes.size()) : u32(total_size);
        std::memcpy(&bytes[0], &total, 4);
        return bytes;
    }

private:
    void put32(u32 value) {
        u8 bytes[4];
        std::memcpy(bytes, &value, 4);
        m_bytes.insert(m_bytes.end(), bytes, bytes + 4);
    }

    std::vector<u8> m_bytes;
};

// A heap copy of exactly the given bytes (at `shift` bytes past an aligned allocation), so that
// AddressSanitizer reports any read past the end.
struct ExactBuffer {
    explicit ExactBuffer(const std::vector<u8>& bytes, size_t shift = 0)
        : storage(new u8[bytes.size() + shift]), size(bytes.size()) {
        if (!bytes.empty())
            std::memcpy(storage.get() + shift, bytes.data(), bytes.size());
        data = storage.get() + shift;
    }
    std::unique_ptr<u8[]> storage;
    u8* data;
    size_t size;
};

// A parse of an exact copy that stays alive with the result, since the strings in a BootInfo
// point into the buffer.
struct Parsed {
    explicit Parsed(const std::vector<u8>& bytes)
        : buffer(bytes), result(parse_multiboot2(buffer.data, buffer.size)) {}
    bool has_value() const { return result.has_value(); }
    bool is_error() const { return result.is_error(); }
    Error error() const { return result.error(); }
    const BootInfo& value() const { return result.value(); }

    ExactBuffer buffer;
    nk::Result<BootInfo> result;
};

Parsed parse(const std::vector<u8>& bytes) {
    return Parsed(bytes);
}

Error parse_error(const std::vector<u8>& bytes) {
    auto result = parse(bytes);
    REQUIRE(result.is_error());
    return result.error();
}

constexpr u8 RSDP_V1[20] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ', 0x42};
constexpr u8 RSDP_V2[36] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ', 0x43, 0, 0, 0, 0, 0, 0, 2};

} // namespace

TEST_CASE("a complete boot information structure is parsed", "[multiboot2]") {
    u64 unknown_payload = 0x1234;
    std::vector<u8> bytes = InfoBuilder()
                                .string(1, "console=serial nooks")
                                .string(2, "GRUB 2.12")
                                .module(0x200000, 0x280000, "/boot/init")
                                .module(0x280000, 0x280000, "")
                                .basic_memory(639, 130048)
                                .memory_map({{0x0, 0x9fc00, 1},
                                             {0x9fc00, 0x400, 2},
                                             {0x100000, 0x7ee0000, 1},
                                             {0x7fe0000, 0x20000, 3},
                                             {0xfffc0000, 0x40000, 9}})
                                .framebuffer(0xfd000000, 4096, 1024, 768, 32, 1)
                                .tag(21, &unknown_payload, sizeof(unknown_payload))
                                .tag(15, RSDP_V2, sizeof(RSDP_V2))
                                .tag(14, RSDP_V1, sizeof(RSDP_V1))
                                .end()
                                .finish();
    ExactBuffer buffer(bytes);
    auto result = parse_multiboot2(buffer.data, buffer.size);
    REQUIRE(result.has_value());
    const BootInfo& info = result.value();

    CHECK(info.total_size == bytes.size());
    CHECK(std::string(info.command_line) == "console=serial nooks");
    CHECK(std::string(info.bootloader_name) == "GRUB 2.12");
    // Strings point into the buffer, not into copies.
    CHECK(reinterpret_cast<const u8*>(info.command_line) == buffer.data + 16);

    REQUIRE(info.module_count == 2);
    CHECK_FALSE(info.modules_truncated);
    CHECK(info.modules[0].start == 0x200000);
    CHECK(info.modules[0].end == 0x280000);
    CHECK(std::string(info.modules[0].command_line) == "/boot/init");
    CHECK(std::string(info.modules[1].command_line).empty());

    CHECK(info.basic_memory_lower_kib == 639);
    CHECK(info.basic_memory_upper_kib == 130048);

    REQUIRE(info.memory_count == 5);
    CHECK_FALSE(info.memory_truncated);
    CHECK(info.memory[2].base == 0x100000);
    CHECK(info.memory[2].length == 0x7ee0000);
    CHECK(info.memory[2].type == MemoryType::Available);
    CHECK(info.memory[3].type == MemoryType::AcpiReclaimable);
    CHECK(u32(info.memory[4].type) == 9);
    CHECK(kernel::available_memory_bytes(info) == 0x9fc00 + 0x7ee0000);

    REQUIRE(info.has_framebuffer);
    CHECK(info.framebuffer.address == 0xfd000000);
    CHECK(info.framebuffer.pitch == 4096);
    CHECK(info.framebuffer.width == 1024);
    CHECK(info.framebuffer.height == 768);
    CHECK(info.framebuffer.bits_per_pixel == 32);
    CHECK(info.framebuffer.type == 1);

    // The ACPI 2.0 copy wins although the 1.0 copy comes later.
    REQUIRE(info.acpi_rsdp != nullptr);
    CHECK(info.acpi_rsdp_length == sizeof(RSDP_V2));
    CHECK(std::memcmp(info.acpi_rsdp, RSDP_V2, sizeof(RSDP_V2)) == 0);
    CHECK(info.acpi_rsdp >= buffer.data);
    CHECK(static_cast<const u8*>(info.acpi_rsdp) < buffer.data + buffer.size);
}

TEST_CASE("absent tags leave defaults", "[multiboot2]") {
    auto result = parse(InfoBuilder().end().finish());
    REQUIRE(result.has_value());
    const BootInfo& info = result.value();
    CHECK(info.total_size == 16);
    CHECK(std::string(info.command_line).empty());
    CHECK(std::string(info.bootloader_name).empty());
    CHECK(info.basic_memory_lower_kib == 0);
    CHECK(info.memory_count == 0);
    CHECK(info.module_count == 0);
    CHECK_FALSE(info.has_framebuffer);
    CHECK(info.acpi_rsdp == nullptr);
    CHECK(kernel::available_memory_bytes(info) == 0);

    // The old RSDP alone is used.
    auto old_only = parse(InfoBuilder().tag(14, RSDP_V1, sizeof(RSDP_V1)).end().finish());
    REQUIRE(old_only.has_value());
    CHECK(old_only.value().acpi_rsdp_length == sizeof(RSDP_V1));
}

TEST_CASE("the total size must fit the header, an end tag and the readable bytes", "[multiboot2]") {
    CHECK(parse_multiboot2(nullptr, 64).error() == Error::Corrupt);
    // Only the header.
    CHECK(parse_error(InfoBuilder().finish()) == Error::Corrupt);
    // total_size claims less than the header and end tag.
    CHECK(parse_error(InfoBuilder().end().finish(8)) == Error::Corrupt);
    CHECK(parse_error(InfoBuilder().end().finish(0)) == Error::Corrupt);
    // total_size claims more than may be read.
    CHECK(parse_error(InfoBuilder().end().finish(24)) == Error::Corrupt);
    auto bytes = InfoBuilder().string(1, "x").end().finish();
    ExactBuffer buffer(bytes);
    CHECK(parse_multiboot2(buffer.data, buffer.size - 8).error() == Error::Corrupt);
    CHECK(parse_multiboot2(buffer.data, 4).error() == Error::Corrupt);
    CHECK(parse_multiboot2(buffer.data, 0).error() == Error::Corrupt);
}

TEST_CASE("malformed tags are reported as corrupt", "[multiboot2]") {
    SECTION("tag shorter than its header") {
        CHECK(parse_error(InfoBuilder().raw_header(1, 4).end().finish()) == Error::Corrupt);
        CHECK(parse_error(InfoBuilder().raw_header(99, 0).end().finish()) == Error::Corrupt);
    }
    SECTION("tag running past the end") {
        CHECK(parse_error(InfoBuilder().raw_header(99, 64).end().finish()) == Error::Corrupt);
        // Its padding runs past the end, so no end tag can follow.
        CHECK(parse_error(InfoBuilder().raw_header(99, 12).raw_header(0, 0).finish(20)) ==
              Error::Corrupt);
    }
    SECTION("misaligned structure") {
        auto bytes = InfoBuilder().end().finish();
        ExactBuffer buffer(bytes, 4);
        CHECK(parse_multiboot2(buffer.data, buffer.size).error() == Error::Corrupt);
    }
    SECTION("strings without a terminator inside the tag") {
        CHECK(parse_error(InfoBuilder().tag(1, "abc", 3).end().finish()) == Error::Corrupt);
        CHECK(parse_error(InfoBuilder().tag(2, "", 0).end().finish()) == Error::Corrupt);
        u32 module[2] = {0x1000, 0x2000};
        CHECK(parse_error(InfoBuilder().tag(3, module, sizeof(module)).end().finish()) ==
              Error::Corrupt);
    }
    SECTION("memory map entries of a bad size") {
        std::vector<InfoBuilder::Region> regions = {{0, 0x1000, 1}};
        CHECK(parse_error(InfoBuilder().memory_map(regions, 16).end().finish()) == Error::Corrupt);
        CHECK(parse_error(InfoBuilder().memory_map(regions, 28).end().finish()) == Error::Corrupt);
        CHECK(parse_error(InfoBuilder().memory_map(regions, 0).end().finish()) == Error::Corrupt);
        CHECK(parse_error(InfoBuilder().tag(6, "", 0).end().finish()) == Error::Corrupt);
        // Larger entries from a later entry version are read with their stride.
        auto result = parse(
            InfoBuilder().memory_map({{0, 0x1000, 1}, {0x10000, 0x2000, 1}}, 32).end().finish());
        REQUIRE(result.has_value());
        REQUIRE(result.value().memory_count == 2);
        CHECK(result.value().memory[1].base == 0x10000);
        CHECK(kernel::available_memory_bytes(result.value()) == 0x3000);
    }
    SECTION("module ending before it starts") {
        CHECK(parse_error(InfoBuilder().module(0x2000, 0x1000, "m").end().finish()) ==
              Error::Corrupt);
    }
    SECTION("known tags too short for their fields") {
        u32 one = 1;
        CHECK(parse_error(InfoBuilder().tag(4, &one, 4).end().finish()) == Error::Corrupt);
        u64 address = 0xfd000000;
        CHECK(parse_error(InfoBuilder().tag(8, &address, 8).end().finish()) == Error::Corrupt);
        CHECK(parse_error(InfoBuilder().tag(15, RSDP_V1, 8).end().finish()) == Error::Corrupt);
    }
    SECTION("no end tag") {
        CHECK(parse_error(InfoBuilder().string(1, "x").basic_memory(1, 2).finish()) ==
              Error::Corrupt);
        // An end tag beyond total_size does not count.
        auto bytes = InfoBuilder().string(1, "x").end().finish();
        bytes.resize(bytes.size() + 8);
        u32 total = u32(bytes.size() - 16);
        std::memcpy(&bytes[0], &total, 4);
        CHECK(parse_error(bytes) == Error::Corrupt);
        // An end tag must be 8 bytes.
        CHECK(parse_error(InfoBuilder().raw_header(0, 16).raw_header(0, 0).finish()) ==
              Error::Corrupt);
    }
}

TEST_CASE("unknown tags are skipped and bytes after the end tag are ignored", "[multiboot2]") {
    u8 blob[13] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
    auto bytes = InfoBuilder()
                     .tag(9, blob, sizeof(blob))
                     .tag(0x7fffffff, blob, 5)
                     .string(1, "after")
                     .end()
                     .raw_header(99, 0xffff)
                     .finish();
    auto result = parse(bytes);
    REQUIRE(result.has_value());
    CHECK(std::string(result.value().command_line) == "after");
}

TEST_CASE("too many regions or modules are truncated, not overflowed", "[multiboot2]") {
    std::vector<InfoBuilder::Region> regions;
    for (u64 i = 0; i < 70; ++i)
        regions.push_back({i * 0x100000, 0x1000, 1});
    InfoBuilder builder;
    builder.memory_map(regions);
    for (u32 i = 0; i < BootInfo::MAX_MODULES + 4; ++i)
        builder.module(i * 0x1000, i * 0x1000 + 0x800, "m");
    auto result = parse(builder.end().finish());
    REQUIRE(result.has_value());
    const BootInfo& info = result.value();
    CHECK(info.memory_count == BootInfo::MAX_MEMORY_REGIONS);
    CHECK(info.memory_truncated);
    CHECK(info.memory[63].base == 63 * 0x100000);
    CHECK(kernel::available_memory_bytes(info) == 64 * 0x1000);
    CHECK(info.module_count == BootInfo::MAX_MODULES);
    CHECK(info.modules_truncated);
    CHECK(info.modules[BootInfo::MAX_MODULES - 1].start == (BootInfo::MAX_MODULES - 1) * 0x1000);

    // Exactly 64 regions is not truncation.
    regions.resize(64);
    auto exact = parse(InfoBuilder().memory_map(regions).end().finish());
    REQUIRE(exact.has_value());
    CHECK(exact.value().memory_count == 64);
    CHECK_FALSE(exact.value().memory_truncated);
}

TEST_CASE("available memory saturates instead of wrapping", "[multiboot2]") {
    auto result = parse(
        InfoBuilder().memory_map({{0, ~u64(0) - 10, 1}, {0, 100, 1}, {0, 100, 2}}).end().finish());
    REQUIRE(result.has_value());
    CHECK(kernel::available_memory_bytes(result.value()) == ~u64(0));
}

TEST_CASE("truncated and mutated structures never read out of bounds", "[multiboot2]") {
    std::vector<u8> valid = InfoBuilder()
                                .string(1, "console=serial")
                                .string(2, "GRUB")
                                .module(0x100000, 0x200000, "/init")
                                .basic_memory(639, 1000)
                                .memory_map({{0, 0x9fc00, 1}, {0x100000, 0x1000000, 1}})
                                .framebuffer(0xfd000000, 4096, 1024, 768, 32, 1)
                                .tag(14, RSDP_V1, sizeof(RSDP_V1))
                                .end()
                                .finish();
    REQUIRE(parse(valid).has_value());

    // Every prefix, claiming to be whole: AddressSanitizer catches any read past it.
    for (size_t length = 0; length < valid.size(); ++length) {
        std::vector<u8> prefix(valid.begin(), valid.begin() + length);
        if (length >= 4) {
            u32 total = u32(length);
            std::memcpy(&prefix[0], &total, 4);
        }
        ExactBuffer buffer(prefix);
        auto result = parse_multiboot2(buffer.data, buffer.size);
        CAPTURE(length);
        CHECK(result.is_error());
    }

    // Random corruption of single words, with a fixed seed so failures reproduce.
    u64 state = 0x9e3779b97f4a7c15;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (int round = 0; round < 4000; ++round) {
        std::vector<u8> bytes = valid;
        int changes = 1 + int(next() % 3);
        for (int i = 0; i < changes; ++i) {
            size_t at = 8 + (next() % ((bytes.size() - 8) / 4)) * 4;
            u32 value = u32(next());
            if (next() % 2)
                value %= 64; // small values reach the size checks more often than random ones
            std::memcpy(&bytes[at], &value, 4);
        }
        ExactBuffer buffer(bytes);
        auto result = parse_multiboot2(buffer.data, buffer.size);
        if (result.has_value()) {
            const BootInfo& info = result.value();
            CHECK(info.memory_count <= BootInfo::MAX_MEMORY_REGIONS);
            CHECK(info.module_count <= BootInfo::MAX_MODULES);
            CHECK(std::strlen(info.command_line) < bytes.size());
        }
    }
}
