// The module loader against real relocatable objects built by the host compiler (fixtures/
// module_sample*.cpp, compiled with -mcmodel=kernel) and against corrupted copies of them. The
// code is never run: the tests check the bytes the relocations patched, against addresses a fake
// environment chose. The host's <elf.h> (glibc) locates what to corrupt, an independent
// statement of the format (nooks/module_format.h would collide with its macros).
#include <catch2/catch.hpp>

#include <nooks/module_loader.h>

#include <elf.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

using nk::u32;
using nk::u64;
using nk::u8;
using nooks::LoadedModule;
using nooks::LoadProblem;
using nooks::ModuleMemory;

namespace {

constexpr u64 MODULE_BASE = 0xffffffffc0000000ull;
constexpr u64 KERNEL_LOG = 0xffffffff80123450ull;

std::vector<u8> read_file(const char* path) {
    std::FILE* file = std::fopen(path, "rb");
    REQUIRE(file != nullptr);
    std::vector<u8> bytes;
    u8 chunk[4096];
    size_t got;
    while ((got = std::fread(chunk, 1, sizeof chunk, file)) > 0)
        bytes.insert(bytes.end(), chunk, chunk + got);
    std::fclose(file);
    return bytes;
}

const std::vector<u8>& sample_object() {
    static const std::vector<u8> bytes = read_file(NK_MODULE_FIXTURE);
    return bytes;
}
const std::vector<u8>& sections_module() {
    static const std::vector<u8> bytes = read_file(NK_MODULE_SECTIONS_FIXTURE);
    return bytes;
}

// Hands out a heap buffer of exactly the asked size (so AddressSanitizer catches any write past
// the image), filled with 0xAA so that bytes the loader forgets to write stand out, as the
// writable view of an image "at" `base`.
class FakeEnvironment final : public nooks::ModuleEnvironment {
public:
    explicit FakeEnvironment(u64 base = MODULE_BASE) : m_base(base) {
        imports["kernel_log"] = KERNEL_LOG;
    }

    nk::Result<ModuleMemory> allocate_image(nk::usize size, nk::usize alignment) override {
        ++allocations;
        last_size = size;
        last_alignment = alignment;
        if (fail_allocation)
            return nk::Error::NoMemory;
        m_image.reset(new u8[size]);
        std::memset(m_image.get(), 0xaa, size);
        return ModuleMemory{m_base, m_image.get()};
    }
    void free_image(const ModuleMemory& memory, nk::usize size) override {
        ++frees;
        CHECK(memory.address == m_base);
        CHECK(memory.writable == m_image.get());
        CHECK(size == last_size);
        m_image.reset();
    }
    nk::Result<u64> resolve_import(const char* name) override {
        resolved.push_back(name);
        auto found = imports.find(name);
        if (found == imports.end())
            return nk::Error::NoEntry;
        return found->second;
    }

    // The image's bytes at a module address.
    const u8* at(u64 address) const {
        REQUIRE(address >= m_base);
        REQUIRE(address - m_base < last_size);
        return m_image.get() + (address - m_base);
    }
    u64 read64(u64 address) const {
        u64 value;
        std::memcpy(&value, at(address), 8);
        return value;
    }
    u32 read32(u64 address) const {
        u32 value;
        std::memcpy(&value, at(address), 4);
        return value;
    }

    std::map<std::string, u64> imports;
    std::vector<std::string> resolved;
    bool fail_allocation = false;
    int allocations = 0;
    int frees = 0;
    nk::usize last_size = 0;
    nk::usize last_alignment = 0;

private:
    u64 m_base;
    std::unique_ptr<u8[]> m_image;
};

struct Loaded {
    nk::Result<LoadedModule> result;
    std::string problem;
};

// Loads from a copy of exactly the file's size, so that any read past it is caught.
Loaded load(const std::vector<u8>& file, FakeEnvironment& env) {
    std::unique_ptr<u8[]> copy(new u8[file.size() ? file.size() : 1]);
    if (!file.empty())
        std::memcpy(copy.get(), file.data(), file.size());
    LoadProblem problem;
    std::memset(problem.message, 'x', sizeof problem.message);
    auto result = nooks::load_module(copy.get(), file.size(), env, &problem);
    REQUIRE(std::memchr(problem.message, 0, sizeof problem.message) != nullptr);
    return {result, problem.message};
}

u64 symbol(const LoadedModule& module, const char* name) {
    auto found = module.find_symbol(name);
    INFO(name);
    REQUIRE(found.has_value());
    return found.value();
}

const nooks::ModuleSymbol* any_symbol(const LoadedModule& module, const char* name) {
    for (const auto& entry : module.symbols()) {
        if (std::strcmp(entry.name, name) == 0)
            return &entry;
    }
    return nullptr;
}

bool inside(const nooks::ModuleRange& range, u64 address) {
    return address >= range.address && address - range.address < range.size;
}

// True when the code [start, start + size) holds a call or jump (E8/E9 rel32) to `target`.
bool branches_to(const FakeEnvironment& env, u64 start, u64 size, u64 target) {
    for (u64 at = start; at + 5 <= start + size; ++at) {
        u8 opcode = *env.at(at);
        if (opcode != 0xe8 && opcode != 0xe9)
            continue;
        u64 next = at + 5;
        if (next + u64(nk::i64(nk::i32(env.read32(at + 1)))) == target)
            return true;
    }
    return false;
}

// True when some 32-bit field in the code is a RIP-relative displacement, ending its
// instruction, that points at `target` (how -mcmodel=kernel code reads a global).
bool rip_relative_to(const FakeEnvironment& env, u64 start, u64 size, u64 target) {
    for (u64 at = start; at + 4 <= start + size; ++at) {
        if (at + 4 + u64(nk::i64(nk::i32(env.read32(at)))) == target)
            return true;
    }
    return false;
}

bool contains_u32(const FakeEnvironment& env, u64 start, u64 size, u32 value) {
    for (u64 at = start; at + 4 <= start + size; ++at) {
        if (env.read32(at) == value)
            return true;
    }
    return false;
}

// Edits a copy of an object through the host's <elf.h> structures.
class ObjectEditor {
public:
    explicit ObjectEditor(const std::vector<u8>& bytes) : bytes(bytes) {}

    template <typename T>
    T get(u64 offset) const {
        REQUIRE(offset + sizeof(T) <= bytes.size());
        T value;
        std::memcpy(&value, bytes.data() + offset, sizeof value);
        return value;
    }
    template <typename T>
    void put(u64 offset, const T& value) {
        REQUIRE(offset + sizeof(T) <= bytes.size());
        std::memcpy(bytes.data() + offset, &value, sizeof value);
    }

    Elf64_Ehdr header() const { return get<Elf64_Ehdr>(0); }
    void set_header(const Elf64_Ehdr& header) { put(0, header); }
    u64 section_offset(size_t index) const { return header().e_shoff + index * sizeof(Elf64_Shdr); }
    Elf64_Shdr section(size_t index) const { return get<Elf64_Shdr>(section_offset(index)); }
    void set_section(size_t index, const Elf64_Shdr& shdr) { put(section_offset(index), shdr); }

    std::string section_name(size_t index) const {
        Elf64_Shdr names = section(header().e_shstrndx);
        return reinterpret_cast<const char*>(bytes.data() + names.sh_offset +
                                             section(index).sh_name);
    }
    size_t find_section(const std::string& name) const {
        for (size_t index = 1; index < header().e_shnum; ++index) {
            if (section_name(index) == name)
                return index;
        }
        FAIL("no section " << name);
        return 0;
    }
    size_t find_type(u32 type) const {
        for (size_t index = 1; index < header().e_shnum; ++index) {
            if (section(index).sh_type == type)
                return index;
        }
        FAIL("no section of type " << type);
        return 0;
    }

    size_t symbol_count() const {
        return section(find_type(SHT_SYMTAB)).sh_size / sizeof(Elf64_Sym);
    }
    u64 symbol_offset(size_t index) const {
        return section(find_type(SHT_SYMTAB)).sh_offset + index * sizeof(Elf64_Sym);
    }
    Elf64_Sym symbol(size_t index) const { return get<Elf64_Sym>(symbol_offset(index)); }
    void set_symbol(size_t index, const Elf64_Sym& sym) { put(symbol_offset(index), sym); }
    size_t find_symbol(const std::string& name) const {
        Elf64_Shdr strtab = section(section(find_type(SHT_SYMTAB)).sh_link);
        for (size_t index = 1; index < symbol_count(); ++index) {
            const char* text = reinterpret_cast<const char*>(bytes.data() + strtab.sh_offset +
                                                             symbol(index).st_name);
            if (name == text)
                return index;
        }
        FAIL("no symbol " << name);
        return 0;
    }

    // The first relocation of the section ".rela<target>".
    u64 first_relocation(const std::string& target) const {
        return section(find_section(".rela" + target)).sh_offset;
    }
    Elf64_Rela relocation(u64 offset) const { return get<Elf64_Rela>(offset); }
    void set_relocation(u64 offset, const Elf64_Rela& rela) { put(offset, rela); }

    std::vector<u8> bytes;
};

bool mentions(const std::string& problem, const std::string& part) {
    return problem.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("module loader: places text, rodata, data and bss in page-aligned groups", "[module]") {
    FakeEnvironment env;
    auto loaded = load(sample_object(), env);
    INFO(loaded.problem);
    REQUIRE(loaded.result.has_value());
    CHECK(loaded.problem.empty());
    const LoadedModule& module = loaded.result.value();

    CHECK(env.allocations == 1);
    CHECK(env.frees == 0);
    CHECK(module.base() == MODULE_BASE);
    CHECK(module.size == env.last_size);
    CHECK(module.size % nooks::MODULE_PAGE_SIZE == 0);
    CHECK(env.last_alignment >= nooks::MODULE_PAGE_SIZE);
    CHECK(module.alignment == env.last_alignment);

    // The groups in order, each on its own pages, none overlapping.
    CHECK(module.text.address == MODULE_BASE);
    const nooks::ModuleRange* ranges[] = {&module.text, &module.rodata, &module.data,
                                          &module.metadata};
    for (size_t i = 0; i < 4; ++i) {
        CHECK(ranges[i]->address % nooks::MODULE_PAGE_SIZE == 0);
        CHECK(ranges[i]->size > 0);
        if (i > 0)
            CHECK(ranges[i]->address >= ranges[i - 1]->address + ranges[i - 1]->size);
    }
    CHECK(module.metadata.address + module.metadata.size == MODULE_BASE + module.size);

    // Only the sections a kernel needs, each inside its group with the right rights.
    std::map<std::string, nooks::ModuleSection> sections;
    for (const auto& section : module.sections())
        sections[section.name] = section;
    REQUIRE(sections.count(".text"));
    REQUIRE(sections.count(".rodata"));
    REQUIRE(sections.count(".data"));
    REQUIRE(sections.count(".bss"));
    CHECK(sections.count(".eh_frame") == 0);
    CHECK(sections.count(".comment") == 0);
    CHECK(sections.count(".note.GNU-stack") == 0);
    CHECK(sections[".text"].executable);
    CHECK_FALSE(sections[".text"].writable);
    CHECK(inside(module.text, sections[".text"].address));
    CHECK_FALSE(sections[".rodata"].executable);
    CHECK_FALSE(sections[".rodata"].writable);
    CHECK(inside(module.rodata, sections[".rodata"].address));
    CHECK(sections[".data"].writable);
    CHECK(inside(module.data, sections[".data"].address));
    CHECK(sections[".bss"].writable);
    CHECK(inside(module.data, sections[".bss"].address));
    CHECK(sections[".bss"].address >= sections[".data"].address + sections[".data"].size);
    for (const auto& [name, section] : sections)
        CHECK(section.address % 16 == 0); // every fixture section asks for 16 at most
}

TEST_CASE("module loader: relocates data pointers, calls, RIP-relative and absolute references",
          "[module]") {
    FakeEnvironment env;
    auto loaded = load(sample_object(), env);
    INFO(loaded.problem);
    REQUIRE(loaded.result.has_value());
    const LoadedModule& module = loaded.result.value();

    u64 entry = symbol(module, "module_entry");
    u64 counter = symbol(module, "counter");
    u64 scratch = symbol(module, "scratch");
    CHECK(inside(module.text, entry));
    CHECK(inside(module.data, counter));
    CHECK(inside(module.data, scratch));

    // Initialised data copied, bss zeroed.
    CHECK(env.read32(counter) == 42);
    for (u64 i = 0; i < 64; ++i)
        CHECK(env.read32(scratch + 4 * i) == 0);

    // R_X86_64_64 in .rodata and .data.
    u64 greeting = env.read64(symbol(module, "greeting_pointer"));
    CHECK(inside(module.rodata, symbol(module, "greeting_pointer")));
    CHECK(inside(module.rodata, greeting));
    CHECK(std::memcmp(env.at(greeting), "hello from module", 18) == 0);
    CHECK(env.read64(symbol(module, "module_entry_pointer")) == entry);
    u64 table = symbol(module, "entry_table");
    CHECK(env.read64(table) == entry);
    CHECK(env.read64(table + 8) == counter);
    // The weak import the environment does not know binds to 0.
    CHECK(env.read64(symbol(module, "hook_pointer")) == 0);

    // In the code: the PLT32 call reaches the import, PC32 reads reach `counter`, 32S holds
    // `scratch` and the greeting's address.
    const nooks::ModuleSymbol* entry_symbol = any_symbol(module, "module_entry");
    REQUIRE(entry_symbol != nullptr);
    REQUIRE(entry_symbol->size > 0);
    CHECK(entry_symbol->function);
    CHECK(branches_to(env, entry, entry_symbol->size, KERNEL_LOG));
    CHECK(rip_relative_to(env, entry, entry_symbol->size, counter));
    CHECK(contains_u32(env, entry, entry_symbol->size, u32(scratch)));
    CHECK(contains_u32(env, entry, entry_symbol->size, u32(greeting)));
    CHECK(std::count(env.resolved.begin(), env.resolved.end(), "kernel_log") >= 1);

    // Locals are kept for symbolizing but are not exports; imports are not definitions.
    const nooks::ModuleSymbol* local = any_symbol(module, "_ZL8greeting");
    REQUIRE(local != nullptr);
    CHECK_FALSE(local->global);
    CHECK(local->address == greeting);
    CHECK(module.find_symbol("_ZL8greeting").is_error());
    CHECK(module.find_symbol("kernel_log").error() == nk::Error::NoEntry);
    CHECK(module.find_symbol("optional_hook").is_error());
}

TEST_CASE("module loader: symbolizes addresses inside the module", "[module]") {
    FakeEnvironment env;
    auto loaded = load(sample_object(), env);
    REQUIRE(loaded.result.has_value());
    const LoadedModule& module = loaded.result.value();
    u64 entry = symbol(module, "module_entry");
    u64 counter = symbol(module, "counter");

    char buffer[64];
    REQUIRE(module.symbolize(entry + 5, buffer, sizeof buffer));
    CHECK(std::string(buffer) == "module_entry+0x5");
    REQUIRE(module.symbolize(counter + 2, buffer, sizeof buffer));
    CHECK(std::string(buffer) == "counter+0x2");
    REQUIRE(module.symbolize(entry, buffer, sizeof buffer));
    CHECK(std::string(buffer) == "module_entry+0x0");

    auto found = module.lookup(entry + 0x10);
    REQUIRE(found.has_value());
    CHECK(std::string(found.value().name) == "module_entry");
    CHECK(found.value().address == entry);
    CHECK(found.value().offset == 0x10);

    // Truncated but terminated.
    char tiny[6];
    REQUIRE(module.symbolize(entry + 5, tiny, sizeof tiny));
    CHECK(std::string(tiny) == "modul");

    // Outside the module, in its metadata, or past a sized symbol's end: nothing.
    CHECK_FALSE(module.symbolize(MODULE_BASE - 1, buffer, sizeof buffer));
    CHECK_FALSE(module.symbolize(module.metadata.address, buffer, sizeof buffer));
    CHECK_FALSE(module.symbolize(KERNEL_LOG, buffer, sizeof buffer));
    CHECK_FALSE(module.contains(module.metadata.address));
    CHECK(module.contains(entry));
    const nooks::ModuleSymbol* entry_symbol = any_symbol(module, "module_entry");
    REQUIRE(entry_symbol != nullptr);
    auto past = module.lookup(entry + entry_symbol->size);
    CHECK((past.is_error() || std::string(past.value().name) != "module_entry"));
}

TEST_CASE("module loader: loads an ld -r module with a section per function", "[module]") {
    FakeEnvironment env;
    auto loaded = load(sections_module(), env);
    INFO(loaded.problem);
    REQUIRE(loaded.result.has_value());
    const LoadedModule& module = loaded.result.value();

    u64 entry = symbol(module, "module_entry");
    u64 extra = symbol(module, "sample_extra");
    u64 counter = symbol(module, "counter");
    CHECK(inside(module.text, entry));
    CHECK(inside(module.text, extra));
    CHECK(env.read64(symbol(module, "counter_pointer")) == counter);
    CHECK(env.read32(counter) == 42);

    const nooks::ModuleSymbol* extra_symbol = any_symbol(module, "sample_extra");
    REQUIRE(extra_symbol != nullptr);
    CHECK(branches_to(env, extra, extra_symbol->size, entry));
    CHECK(rip_relative_to(env, extra, extra_symbol->size, counter));
    const nooks::ModuleSymbol* entry_symbol = any_symbol(module, "module_entry");
    REQUIRE(entry_symbol != nullptr);
    CHECK(branches_to(env, entry, entry_symbol->size, KERNEL_LOG));

    size_t text_sections = 0;
    for (const auto& section : module.sections()) {
        if (section.executable)
            ++text_sections;
        CHECK(std::string(section.name) != ".eh_frame");
    }
    CHECK(text_sections >= 2);

    char buffer[64];
    REQUIRE(module.symbolize(extra + 3, buffer, sizeof buffer));
    CHECK(std::string(buffer) == "sample_extra+0x3");
}

TEST_CASE("module loader: an unknown import is refused by name and the image freed", "[module]") {
    FakeEnvironment env;
    env.imports.clear();
    auto loaded = load(sample_object(), env);
    REQUIRE(loaded.result.is_error());
    CHECK(loaded.result.error() == nk::Error::NoEntry);
    CHECK(loaded.problem == "unknown symbol 'kernel_log'");
    CHECK(env.allocations == env.frees);
}

TEST_CASE("module loader: a 32-bit field that cannot reach its target is refused", "[module]") {
    SECTION("PLT32 call to an import more than 2 GiB away") {
        FakeEnvironment env;
        env.imports["kernel_log"] = 0x0000100000000000ull;
        auto loaded = load(sample_object(), env);
        REQUIRE(loaded.result.is_error());
        CHECK(loaded.result.error() == nk::Error::Range);
        INFO(loaded.problem);
        CHECK(mentions(loaded.problem, "R_X86_64_PLT32 against 'kernel_log' at .text+0x"));
        CHECK(mentions(loaded.problem, "does not fit in 32 bits"));
        CHECK(env.allocations == env.frees);
    }
    SECTION("32S absolute reference from an image placed outside the top 2 GiB") {
        FakeEnvironment env(0x0000000100000000ull);
        env.imports["kernel_log"] = 0x0000000100800000ull;
        auto loaded = load(sample_object(), env);
        REQUIRE(loaded.result.is_error());
        CHECK(loaded.result.error() == nk::Error::Range);
        INFO(loaded.problem);
        CHECK(mentions(loaded.problem, "R_X86_64_32S"));
        CHECK(env.allocations == env.frees);
    }
}

TEST_CASE("module loader: reports the environment's allocation failure", "[module]") {
    FakeEnvironment env;
    env.fail_allocation = true;
    auto loaded = load(sample_object(), env);
    REQUIRE(loaded.result.is_error());
    CHECK(loaded.result.error() == nk::Error::NoMemory);
    CHECK(mentions(loaded.problem, "cannot allocate"));
    CHECK(env.frees == 0);
}

TEST_CASE("module loader: refuses files that are not x86-64 relocatable objects", "[module]") {
    FakeEnvironment env;
    SECTION("empty and tiny files") {
        CHECK(load({}, env).result.error() == nk::Error::BadExec);
        CHECK(load({0x7f, 'E', 'L', 'F'}, env).result.error() == nk::Error::BadExec);
        CHECK(nooks::load_module(nullptr, 100, env).error() == nk::Error::BadExec);
    }
    SECTION("a static executable") {
        auto loaded = load(read_file(NK_ELF_FIXTURE), env);
        CHECK(loaded.result.error() == nk::Error::BadExec);
        CHECK(mentions(loaded.problem, "ET_REL"));
    }
    SECTION("wrong machine") {
        ObjectEditor editor(sample_object());
        Elf64_Ehdr header = editor.header();
        header.e_machine = EM_386;
        editor.set_header(header);
        auto loaded = load(editor.bytes, env);
        CHECK(loaded.result.error() == nk::Error::BadExec);
        CHECK(mentions(loaded.problem, "EM_X86_64"));
    }
    SECTION("32-bit class") {
        ObjectEditor editor(sample_object());
        editor.bytes[EI_CLASS] = ELFCLASS32;
        CHECK(load(editor.bytes, env).result.error() == nk::Error::BadExec);
    }
    CHECK(env.allocations == 0);
}

TEST_CASE("module loader: every truncation of a valid object fails cleanly", "[module]") {
    for (const auto* object : {&sample_object(), &sections_module()}) {
        for (size_t size = 0; size < object->size(); ++size) {
            FakeEnvironment env;
            std::vector<u8> truncated(object->begin(), object->begin() + size);
            auto loaded = load(truncated, env);
            INFO("size " << size);
            REQUIRE(loaded.result.is_error());
            CHECK_FALSE(loaded.problem.empty());
            CHECK(env.allocations == env.frees);
        }
    }
}

TEST_CASE("module loader: names what is wrong in a corrupt object", "[module]") {
    FakeEnvironment env;
    ObjectEditor editor(sample_object());
    nk::Error expected = nk::Error::Corrupt;
    std::string message;

    SECTION("section header table past the end") {
        Elf64_Ehdr header = editor.header();
        header.e_shoff = editor.bytes.size() - 10;
        editor.set_header(header);
        message = "section header table extends past end of file";
    }
    SECTION("section header table offset overflowing") {
        Elf64_Ehdr header = editor.header();
        header.e_shoff = ~u64(0) - 8;
        editor.set_header(header);
        message = "section header table extends past end of file";
    }
    SECTION("wrong section header size") {
        Elf64_Ehdr header = editor.header();
        header.e_shentsize = 40;
        editor.set_header(header);
        message = "e_shentsize";
    }
    SECTION("section name table index out of range") {
        Elf64_Ehdr header = editor.header();
        header.e_shstrndx = header.e_shnum;
        editor.set_header(header);
        message = "e_shstrndx";
    }
    SECTION("section bytes past the end") {
        size_t index = editor.find_section(".data");
        Elf64_Shdr shdr = editor.section(index);
        shdr.sh_offset = ~u64(0) - 2;
        editor.set_section(index, shdr);
        message = "section " + std::to_string(index) + " extends past end of file";
    }
    SECTION("section size past the end") {
        size_t index = editor.find_section(".text");
        Elf64_Shdr shdr = editor.section(index);
        shdr.sh_size = editor.bytes.size();
        editor.set_section(index, shdr);
        message = "section " + std::to_string(index) + " extends past end of file";
    }
    SECTION("section name outside the name table") {
        size_t index = editor.find_section(".data");
        Elf64_Shdr shdr = editor.section(index);
        shdr.sh_name = 0x7fffffff;
        editor.set_section(index, shdr);
        message = "has a name outside the section-name table";
    }
    SECTION("section name table not terminated") {
        size_t index = editor.header().e_shstrndx;
        Elf64_Shdr shdr = editor.section(index);
        editor.bytes[shdr.sh_offset + shdr.sh_size - 1] = 'x';
        message = "is not NUL-terminated";
    }
    SECTION("symbol name table not terminated") {
        size_t index = editor.section(editor.find_type(SHT_SYMTAB)).sh_link;
        Elf64_Shdr shdr = editor.section(index);
        editor.bytes[shdr.sh_offset + shdr.sh_size - 1] = 'x';
        message = "is not NUL-terminated";
    }
    SECTION("symbol table entry size") {
        size_t index = editor.find_type(SHT_SYMTAB);
        Elf64_Shdr shdr = editor.section(index);
        shdr.sh_entsize = 16;
        editor.set_section(index, shdr);
        message = "symbol table entry size";
    }
    SECTION("symbol name outside the string table") {
        size_t index = editor.find_symbol("counter");
        Elf64_Sym sym = editor.symbol(index);
        sym.st_name = 0xfffffff0;
        editor.set_symbol(index, sym);
        message = "symbol " + std::to_string(index) + " has a name outside the string table";
    }
    SECTION("symbol in a section that does not exist") {
        size_t index = editor.find_symbol("counter");
        Elf64_Sym sym = editor.symbol(index);
        sym.st_shndx = editor.header().e_shnum + 3;
        editor.set_symbol(index, sym);
        message = "has an invalid section index";
    }
    SECTION("symbol value beyond its section") {
        size_t index = editor.find_symbol("counter");
        Elf64_Sym sym = editor.symbol(index);
        sym.st_value = 0x100000;
        editor.set_symbol(index, sym);
        message = "symbol 'counter' lies outside its section";
    }
    SECTION("common symbol") {
        size_t index = editor.find_symbol("scratch");
        Elf64_Sym sym = editor.symbol(index);
        sym.st_shndx = SHN_COMMON;
        editor.set_symbol(index, sym);
        expected = nk::Error::NotSupported;
        message = "common symbol 'scratch' (build with -fno-common)";
    }
    SECTION("relocation symbol index past the symbol table") {
        u64 at = editor.first_relocation(".text");
        Elf64_Rela rela = editor.relocation(at);
        rela.r_info = ELF64_R_INFO(editor.symbol_count(), ELF64_R_TYPE(rela.r_info));
        editor.set_relocation(at, rela);
        message = "past the symbol table";
    }
    SECTION("unsupported relocation type") {
        u64 at = editor.first_relocation(".data");
        Elf64_Rela rela = editor.relocation(at);
        rela.r_info = ELF64_R_INFO(ELF64_R_SYM(rela.r_info), 42);
        editor.set_relocation(at, rela);
        expected = nk::Error::NotSupported;
        message = "relocation type 42 not supported (at .data+0x";
    }
    SECTION("GOT-relative relocation type") {
        u64 at = editor.first_relocation(".text");
        Elf64_Rela rela = editor.relocation(at);
        rela.r_info = ELF64_R_INFO(ELF64_R_SYM(rela.r_info), R_X86_64_GOTPCREL);
        editor.set_relocation(at, rela);
        expected = nk::Error::NotSupported;
        message = "relocation type 9 not supported";
    }
    SECTION("relocation offset past the end of its section") {
        u64 at = editor.first_relocation(".data");
        Elf64_Rela rela = editor.relocation(at);
        rela.r_offset = editor.section(editor.find_section(".data")).sh_size - 4; // 8-byte field
        editor.set_relocation(at, rela);
        message = "extends past the end of the section";
    }
    SECTION("relocation offset overflowing") {
        u64 at = editor.first_relocation(".text");
        Elf64_Rela rela = editor.relocation(at);
        rela.r_offset = ~u64(0) - 1;
        editor.set_relocation(at, rela);
        message = "extends past the end of the section";
    }
    SECTION("relocation section with a bad target") {
        size_t index = editor.find_section(".rela.text");
        Elf64_Shdr shdr = editor.section(index);
        shdr.sh_info = 0xffff;
        editor.set_section(index, shdr);
        message = "invalid target section (sh_info)";
    }
    SECTION("relocation section not linked to the symbol table") {
        size_t index = editor.find_section(".rela.text");
        Elf64_Shdr shdr = editor.section(index);
        shdr.sh_link = editor.header().e_shstrndx;
        editor.set_section(index, shdr);
        message = "does not link to the symbol table";
    }
    SECTION("relocation entry size") {
        size_t index = editor.find_section(".rela.text");
        Elf64_Shdr shdr = editor.section(index);
        shdr.sh_entsize = 16;
        editor.set_section(index, shdr);
        message = "entry size is not sizeof(Elf64_Rela)";
    }
    SECTION("SHT_REL relocations") {
        size_t index = editor.find_section(".rela.text");
        Elf64_Shdr shdr = editor.section(index);
        shdr.sh_type = SHT_REL;
        editor.set_section(index, shdr);
        expected = nk::Error::NotSupported;
        message = "only SHT_RELA is supported";
    }
    SECTION("relocation against a symbol in a section that is not loaded") {
        u64 at = editor.first_relocation(".data");
        Elf64_Rela rela = editor.relocation(at);
        size_t file_symbol = 0;
        for (size_t index = 1; index < editor.symbol_count(); ++index) {
            if (ELF64_ST_TYPE(editor.symbol(index).st_info) == STT_SECTION &&
                editor.symbol(index).st_shndx == editor.find_section(".eh_frame"))
                file_symbol = index;
        }
        if (file_symbol == 0) { // no section symbol for .eh_frame: make one
            file_symbol = editor.find_symbol("counter");
            Elf64_Sym sym = editor.symbol(file_symbol);
            sym.st_shndx = editor.find_section(".comment");
            sym.st_value = 0;
            editor.set_symbol(file_symbol, sym);
        }
        rela.r_info = ELF64_R_INFO(file_symbol, ELF64_R_TYPE(rela.r_info));
        editor.set_relocation(at, rela);
        message = "which is not loaded";
    }
    SECTION("writable and executable section") {
        size_t index = editor.find_section(".text");
        Elf64_Shdr shdr = editor.section(index);
        shdr.sh_flags |= SHF_WRITE;
        editor.set_section(index, shdr);
        expected = nk::Error::NotSupported;
        message = "is both writable and executable";
    }
    SECTION("bss larger than any module") {
        size_t index = editor.find_section(".bss");
        Elf64_Shdr shdr = editor.section(index);
        shdr.sh_size = ~u64(0) - 100;
        editor.set_section(index, shdr);
        expected = nk::Error::TooBig;
        message = "module image larger than";
    }
    SECTION("absurd section alignment") {
        size_t index = editor.find_section(".data");
        Elf64_Shdr shdr = editor.section(index);
        shdr.sh_addralign = u64(1) << 40;
        editor.set_section(index, shdr);
        expected = nk::Error::NotSupported;
        message = "asks for alignment";
    }
    SECTION("alignment not a power of two") {
        size_t index = editor.find_section(".data");
        Elf64_Shdr shdr = editor.section(index);
        shdr.sh_addralign = 24;
        editor.set_section(index, shdr);
        message = "not a power of two";
    }

    auto loaded = load(editor.bytes, env);
    INFO(loaded.problem);
    REQUIRE(loaded.result.is_error());
    CHECK(loaded.result.error() == expected);
    CHECK(mentions(loaded.problem, message));
    CHECK(env.allocations == 0);
}

TEST_CASE("module loader: random corruption never crashes it", "[module]") {
    u64 state = 0x9e3779b97f4a7c15ull;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    int loaded_count = 0;
    for (int round = 0; round < 3000; ++round) {
        const std::vector<u8>& original = round % 2 ? sample_object() : sections_module();
        std::vector<u8> bytes = original;
        int flips = 1 + int(next() % 4);
        for (int i = 0; i < flips; ++i) {
            // Mostly the headers and tables, where the loader's decisions come from.
            size_t at = next() % 2 ? next() % 64
                                   : (next() % 2 ? bytes.size() - 1 - next() % 1024 % bytes.size()
                                                 : next() % bytes.size());
            bytes[at] = next() % 3 ? u8(next()) : u8(bytes[at] ^ (1u << (next() % 8)));
        }
        FakeEnvironment env;
        env.imports["optional_hook"] = 0xffffffff80200000ull;
        auto loaded = load(bytes, env);
        if (loaded.result.has_value()) {
            ++loaded_count;
            const LoadedModule& module = loaded.result.value();
            CHECK(env.frees == 0);
            for (const auto& entry : module.symbols())
                CHECK(std::strlen(entry.name) < bytes.size());
            char buffer[32];
            (void)module.symbolize(module.text.address, buffer, sizeof buffer);
        } else {
            CHECK_FALSE(loaded.problem.empty());
            CHECK(env.allocations == env.frees);
        }
    }
    // Flips in padding or in instruction bytes leave a loadable module now and then.
    CHECK(loaded_count > 0);
}
