// The test files are built with the host's own <elf.h> (glibc), an independent statement of the
// ELF-64 layout, so kernel/exec/elf_format.h is deliberately not included here (its constants
// would collide with glibc's macros).
#include <catch2/catch.hpp>

#include <kernel/exec/elf.h>

#include <elf.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using kernel::ElfImage;
using kernel::parse_elf_executable;
using nk::u64;
using nk::u8;

namespace {

// The user address range from nk/syscall_abi.h, which this file cannot include: its SEEK_SET and
// friends collide with the macros of the host's <cstdio>.
constexpr u64 USER_IMAGE_BASE = 0x400000;
constexpr u64 USER_SPACE_END = 0x0000800000000000ull;

// A file of exactly `size` bytes on the heap, so that AddressSanitizer flags any read past it.
class ExactBuffer {
public:
    ExactBuffer(const u8* data, size_t size) : m_bytes(new u8[size]), m_size(size) {
        if (size)
            std::memcpy(m_bytes.get(), data, size);
    }
    const u8* data() const { return m_bytes.get(); }
    size_t size() const { return m_size; }

private:
    std::unique_ptr<u8[]> m_bytes;
    size_t m_size;
};

struct Parsed {
    nk::Result<ElfImage> result;
    std::string reason;
};

Parsed parse(const std::vector<u8>& file) {
    ExactBuffer buffer(file.data(), file.size());
    const char* reason = "not set";
    auto result = parse_elf_executable(buffer.data(), buffer.size(), &reason);
    return {result, reason ? reason : ""};
}

// A crafted executable: header, program headers right behind it, segment bytes filled with a
// pattern. The default is valid: text at 0x400100 (file 0x100), data+bss at 0x401140 (file
// 0x140), a PT_GNU_STACK; the file ends with the data segment's last byte, so every truncation
// cuts something the parser needs.
struct Crafted {
    Elf64_Ehdr header = {};
    std::vector<Elf64_Phdr> phdrs;
    size_t file_size = 0x180;

    Crafted() {
        std::memcpy(header.e_ident, ELFMAG, SELFMAG);
        header.e_ident[EI_CLASS] = ELFCLASS64;
        header.e_ident[EI_DATA] = ELFDATA2LSB;
        header.e_ident[EI_VERSION] = EV_CURRENT;
        header.e_type = ET_EXEC;
        header.e_machine = EM_X86_64;
        header.e_version = EV_CURRENT;
        header.e_entry = 0x400110;
        header.e_phoff = sizeof(Elf64_Ehdr);
        header.e_ehsize = sizeof(Elf64_Ehdr);
        header.e_phentsize = sizeof(Elf64_Phdr);
        phdrs.push_back(load(0x100, 0x400100, 0x40, 0x40, PF_R | PF_X));
        phdrs.push_back(load(0x140, 0x401140, 0x40, 0x200, PF_R | PF_W));
        Elf64_Phdr stack = {};
        stack.p_type = PT_GNU_STACK;
        stack.p_flags = PF_R | PF_W;
        phdrs.push_back(stack);
    }

    static Elf64_Phdr load(u64 offset, u64 vaddr, u64 filesz, u64 memsz, uint32_t flags) {
        Elf64_Phdr phdr = {};
        phdr.p_type = PT_LOAD;
        phdr.p_flags = flags;
        phdr.p_offset = offset;
        phdr.p_vaddr = vaddr;
        phdr.p_paddr = vaddr;
        phdr.p_filesz = filesz;
        phdr.p_memsz = memsz;
        phdr.p_align = 0x1000;
        return phdr;
    }

    std::vector<u8> bytes() const {
        Elf64_Ehdr h = header;
        if (h.e_phnum == 0 && !keep_phnum)
            h.e_phnum = uint16_t(phdrs.size());
        size_t table_end = sizeof h + phdrs.size() * sizeof(Elf64_Phdr);
        std::vector<u8> file(std::max(file_size, table_end));
        for (size_t i = 0; i < file.size(); ++i)
            file[i] = u8(i * 7 + 1);
        std::memcpy(file.data(), &h, sizeof h);
        if (h.e_phoff == sizeof h)
            std::memcpy(file.data() + sizeof h, phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr));
        return file;
    }

    bool keep_phnum = false; // write header.e_phnum as set, even 0
};

void require_bad(const Crafted& crafted, const char* reason_part) {
    Parsed parsed = parse(crafted.bytes());
    REQUIRE(parsed.result.is_error());
    CHECK(parsed.result.error() == nk::Error::BadExec);
    INFO("reason: " << parsed.reason);
    CHECK(parsed.reason.find(reason_part) != std::string::npos);
}

void require_good(const Crafted& crafted) {
    Parsed parsed = parse(crafted.bytes());
    INFO("reason: " << parsed.reason);
    REQUIRE(parsed.result.has_value());
    CHECK(parsed.reason.empty());
}

std::vector<u8> read_file(const char* path) {
    std::vector<u8> bytes;
    FILE* file = std::fopen(path, "rb");
    REQUIRE(file);
    u8 chunk[4096];
    size_t got;
    while ((got = std::fread(chunk, 1, sizeof chunk, file)) > 0)
        bytes.insert(bytes.end(), chunk, chunk + got);
    std::fclose(file);
    return bytes;
}

// The value of a symbol from the file's .symtab, read with the host's <elf.h>.
u64 symbol_value(const std::vector<u8>& file, const char* name) {
    Elf64_Ehdr header;
    std::memcpy(&header, file.data(), sizeof header);
    std::vector<Elf64_Shdr> sections(header.e_shnum);
    std::memcpy(sections.data(), file.data() + header.e_shoff,
                sections.size() * sizeof(Elf64_Shdr));
    for (const Elf64_Shdr& section : sections) {
        if (section.sh_type != SHT_SYMTAB)
            continue;
        const Elf64_Shdr& strings = sections.at(section.sh_link);
        for (size_t offset = 0; offset + sizeof(Elf64_Sym) <= section.sh_size;
             offset += sizeof(Elf64_Sym)) {
            Elf64_Sym symbol;
            std::memcpy(&symbol, file.data() + section.sh_offset + offset, sizeof symbol);
            const char* symbol_name =
                reinterpret_cast<const char*>(file.data() + strings.sh_offset + symbol.st_name);
            if (std::strcmp(symbol_name, name) == 0)
                return symbol.st_value;
        }
    }
    FAIL("symbol " << name << " not found");
    return 0;
}

} // namespace

TEST_CASE("elf: a valid crafted executable", "[elf]") {
    Crafted crafted;
    Parsed parsed = parse(crafted.bytes());
    INFO("reason: " << parsed.reason);
    REQUIRE(parsed.result.has_value());
    CHECK(parsed.reason.empty());
    const ElfImage& image = parsed.result.value();
    CHECK(image.entry == 0x400110);
    REQUIRE(image.segment_count == 2);
    CHECK(image.segments[0].vaddr == 0x400100);
    CHECK(image.segments[0].memsz == 0x40);
    CHECK(image.segments[0].offset == 0x100);
    CHECK(image.segments[0].filesz == 0x40);
    CHECK(image.segments[0].executable);
    CHECK_FALSE(image.segments[0].writable);
    CHECK(image.segments[1].vaddr == 0x401140);
    CHECK(image.segments[1].memsz == 0x200);
    CHECK(image.segments[1].offset == 0x140);
    CHECK(image.segments[1].filesz == 0x40);
    CHECK(image.segments[1].writable);
    CHECK_FALSE(image.segments[1].executable);
}

TEST_CASE("elf: the reason out-parameter is optional", "[elf]") {
    std::vector<u8> file = Crafted().bytes();
    ExactBuffer buffer(file.data(), file.size());
    CHECK(parse_elf_executable(buffer.data(), buffer.size()).has_value());
    CHECK(parse_elf_executable(buffer.data(), 10).error() == nk::Error::BadExec);
    const char* reason = "x";
    CHECK(parse_elf_executable(nullptr, 0, &reason).is_error());
    CHECK(std::string(reason).find("smaller than the ELF header") != std::string::npos);
}

TEST_CASE("elf: identification bytes are checked", "[elf]") {
    for (int i = 0; i < 4; ++i) {
        Crafted crafted;
        crafted.header.e_ident[i] ^= 0x20;
        require_bad(crafted, "magic");
    }
    Crafted class32;
    class32.header.e_ident[EI_CLASS] = ELFCLASS32;
    require_bad(class32, "ELFCLASS64");
    Crafted big_endian;
    big_endian.header.e_ident[EI_DATA] = ELFDATA2MSB;
    require_bad(big_endian, "little-endian");
    Crafted ident_version;
    ident_version.header.e_ident[EI_VERSION] = EV_NONE;
    require_bad(ident_version, "EV_CURRENT");
    Crafted version;
    version.header.e_version = 2;
    require_bad(version, "EV_CURRENT");
}

TEST_CASE("elf: machine and type are checked", "[elf]") {
    for (uint16_t machine : {EM_386, EM_AARCH64, EM_NONE}) {
        Crafted crafted;
        crafted.header.e_machine = machine;
        require_bad(crafted, "EM_X86_64");
    }
    Crafted pie;
    pie.header.e_type = ET_DYN;
    require_bad(pie, "ET_DYN");
    for (uint16_t type : {ET_REL, ET_CORE, ET_NONE}) {
        Crafted crafted;
        crafted.header.e_type = type;
        require_bad(crafted, "ET_EXEC");
    }
}

TEST_CASE("elf: the program header table is checked", "[elf]") {
    for (uint16_t size : {0, 32, 55, 57, 64}) {
        Crafted crafted;
        crafted.header.e_phentsize = size;
        require_bad(crafted, "e_phentsize");
    }
    Crafted none;
    none.keep_phnum = true;
    require_bad(none, "no program headers");

    Crafted extended;
    extended.header.e_phnum = PN_XNUM;
    require_bad(extended, "PN_XNUM");

    // Table entries beyond the end of the file.
    Crafted too_many;
    too_many.header.e_phnum = 200;
    require_bad(too_many, "program header table outside the file");

    Crafted past_end;
    past_end.header.e_phoff = 0x180;
    require_bad(past_end, "program header table outside the file");

    // e_phoff + e_phnum * 56 wraps around: must not be taken for a small number.
    Crafted wraps;
    wraps.header.e_phoff = UINT64_MAX - 0x40;
    require_bad(wraps, "program header table outside the file");
}

TEST_CASE("elf: segment file and memory sizes are checked", "[elf]") {
    Crafted bigger_file;
    bigger_file.phdrs[1].p_filesz = 0x201;
    require_bad(bigger_file, "p_filesz > p_memsz");

    Crafted beyond_file;
    beyond_file.phdrs[1].p_filesz = 0x41;
    require_bad(beyond_file, "file bytes outside the file");

    Crafted offset_beyond;
    offset_beyond.phdrs[1].p_offset = 0x1140;
    require_bad(offset_beyond, "file bytes outside the file");

    Crafted offset_wraps;
    offset_wraps.phdrs[1].p_offset = UINT64_MAX - 0xebf; // ≡ 0x140 (mod 4096)
    offset_wraps.phdrs[1].p_filesz = 0x1000;
    offset_wraps.phdrs[1].p_memsz = 0x1000;
    require_bad(offset_wraps, "file bytes outside the file");
}

TEST_CASE("elf: segments must lie in the user image range", "[elf]") {
    Crafted below;
    below.phdrs[0].p_vaddr = USER_IMAGE_BASE - 0x1000 + 0x100;
    below.header.e_entry = below.phdrs[0].p_vaddr;
    require_bad(below, "below USER_IMAGE_BASE");

    Crafted zero;
    zero.phdrs[0].p_vaddr = 0x100;
    zero.header.e_entry = 0x100;
    require_bad(zero, "below USER_IMAGE_BASE");

    Crafted beyond;
    beyond.phdrs[1].p_vaddr = USER_SPACE_END - 0x1000 + 0x140;
    beyond.phdrs[1].p_memsz = 0x1000;
    require_bad(beyond, "beyond the user address space");

    Crafted kernel_half;
    kernel_half.phdrs[1].p_vaddr = 0xffffffff80000140ull;
    require_bad(kernel_half, "beyond the user address space");

    // vaddr + memsz wraps to a small number.
    Crafted wraps;
    wraps.phdrs[1].p_vaddr = 0xfffffffffffff140ull;
    wraps.phdrs[1].p_memsz = 0x2000;
    require_bad(wraps, "beyond the user address space");

    // Ending exactly at USER_SPACE_END is fine.
    Crafted at_end;
    at_end.phdrs[1].p_vaddr = USER_SPACE_END - 0x1000 + 0x140;
    at_end.phdrs[1].p_memsz = 0x1000 - 0x140;
    require_good(at_end);
}

TEST_CASE("elf: p_vaddr and p_offset must be page congruent", "[elf]") {
    Crafted crafted;
    crafted.phdrs[1].p_vaddr = 0x401148;
    require_bad(crafted, "congruent");
    Crafted other_page;
    other_page.phdrs[1].p_vaddr = 0x409140; // a different page, same page offset: fine
    require_good(other_page);
}

TEST_CASE("elf: segments may not share a page", "[elf]") {
    Crafted same_page;
    same_page.phdrs[1].p_vaddr = 0x400140; // right after text, in text's page
    require_bad(same_page, "share a page");

    Crafted contained;
    contained.phdrs[1].p_offset = 0x100;
    contained.phdrs[1].p_vaddr = 0x400100;
    require_bad(contained, "share a page");

    // The same clash with the data segment listed first.
    Crafted reversed;
    reversed.phdrs[1].p_vaddr = 0x400140;
    std::swap(reversed.phdrs[0], reversed.phdrs[1]);
    require_bad(reversed, "share a page");

    Crafted adjacent; // text ends in page 0x400000, data starts at page 0x401000
    require_good(adjacent);
}

TEST_CASE("elf: at most ElfImage::MAX_SEGMENTS PT_LOAD segments", "[elf]") {
    auto with_segments = [](size_t count) {
        Crafted crafted;
        crafted.phdrs.clear();
        crafted.phdrs.push_back(Crafted::load(0, 0x400000, 0x10, 0x10, PF_R | PF_X));
        while (crafted.phdrs.size() < count) {
            u64 page = crafted.phdrs.size();
            crafted.phdrs.push_back(
                Crafted::load(0x20, 0x400020 + page * 0x1000, 0x10, 0x10, PF_R | PF_W));
        }
        crafted.header.e_entry = 0x400000;
        crafted.file_size = 0x40;
        return crafted;
    };
    Crafted most = with_segments(ElfImage::MAX_SEGMENTS);
    Parsed parsed = parse(most.bytes());
    REQUIRE(parsed.result.has_value());
    CHECK(parsed.result.value().segment_count == ElfImage::MAX_SEGMENTS);
    require_bad(with_segments(ElfImage::MAX_SEGMENTS + 1), "too many PT_LOAD");
}

TEST_CASE("elf: PT_INTERP means dynamic linking and is refused", "[elf]") {
    Crafted crafted;
    Elf64_Phdr interp = {};
    interp.p_type = PT_INTERP;
    interp.p_offset = 0x100;
    interp.p_filesz = 0x10;
    interp.p_flags = PF_R;
    crafted.phdrs.insert(crafted.phdrs.begin(), interp);
    require_bad(crafted, "PT_INTERP");
}

TEST_CASE("elf: the entry point must be in an executable segment", "[elf]") {
    Crafted outside;
    outside.header.e_entry = 0x500000;
    require_bad(outside, "entry point");

    Crafted in_data;
    in_data.header.e_entry = 0x401150;
    require_bad(in_data, "entry point");

    Crafted one_past;
    one_past.header.e_entry = 0x400140;
    require_bad(one_past, "entry point");

    Crafted first_byte;
    first_byte.header.e_entry = 0x400100;
    require_good(first_byte);
    Crafted last_byte;
    last_byte.header.e_entry = 0x40013f;
    require_good(last_byte);
}

TEST_CASE("elf: no loadable segment, or only empty ones", "[elf]") {
    Crafted none;
    none.phdrs.erase(none.phdrs.begin(), none.phdrs.begin() + 2);
    require_bad(none, "no PT_LOAD");

    // An empty PT_LOAD is checked but not listed.
    Crafted empty;
    empty.phdrs.push_back(Crafted::load(0x180, 0x402180, 0, 0, PF_R));
    Parsed parsed = parse(empty.bytes());
    REQUIRE(parsed.result.has_value());
    CHECK(parsed.result.value().segment_count == 2);
}

TEST_CASE("elf: every truncation of a valid file fails without overreading", "[elf]") {
    std::vector<u8> file = Crafted().bytes();
    REQUIRE(parse(file).result.has_value());
    for (size_t size = 0; size < file.size(); ++size) {
        ExactBuffer buffer(file.data(), size);
        const char* reason = nullptr;
        auto result = parse_elf_executable(buffer.data(), buffer.size(), &reason);
        INFO("truncated to " << size);
        REQUIRE(result.is_error());
        CHECK(reason != nullptr);
    }
}

TEST_CASE("elf: a real static executable built by the host toolchain", "[elf]") {
    std::vector<u8> file = read_file(NK_ELF_FIXTURE);
    REQUIRE(file.size() > sizeof(Elf64_Ehdr));
    Parsed parsed = parse(file);
    INFO("reason: " << parsed.reason);
    REQUIRE(parsed.result.has_value());
    const ElfImage& image = parsed.result.value();
    CHECK(image.entry == symbol_value(file, "_start"));

    // The same segments as the host's <elf.h> sees.
    Elf64_Ehdr header;
    std::memcpy(&header, file.data(), sizeof header);
    std::vector<Elf64_Phdr> loads;
    for (size_t i = 0; i < header.e_phnum; ++i) {
        Elf64_Phdr phdr;
        std::memcpy(&phdr, file.data() + header.e_phoff + i * sizeof phdr, sizeof phdr);
        if (phdr.p_type == PT_LOAD)
            loads.push_back(phdr);
    }
    REQUIRE(image.segment_count == loads.size());
    bool has_bss = false;
    for (size_t i = 0; i < loads.size(); ++i) {
        const auto& segment = image.segments[i];
        CHECK(segment.vaddr == loads[i].p_vaddr);
        CHECK(segment.memsz == loads[i].p_memsz);
        CHECK(segment.offset == loads[i].p_offset);
        CHECK(segment.filesz == loads[i].p_filesz);
        CHECK(segment.writable == bool(loads[i].p_flags & PF_W));
        CHECK(segment.executable == bool(loads[i].p_flags & PF_X));
        CHECK(segment.vaddr >= USER_IMAGE_BASE);
        has_bss |= segment.memsz > segment.filesz;
    }
    CHECK(has_bss);
    CHECK(image.segments[0].vaddr == USER_IMAGE_BASE);

    // Truncations of the real file: never an overread; an error whenever a segment is cut.
    u64 needed = 0;
    for (const auto& load : loads)
        needed = std::max<u64>(needed, load.p_offset + load.p_filesz);
    for (size_t size = 0; size < file.size(); ++size) {
        ExactBuffer buffer(file.data(), size);
        auto result = parse_elf_executable(buffer.data(), buffer.size());
        if (size < needed)
            REQUIRE(result.is_error());
    }
}
