#include <kernel/debug/demangle.h>
#include <nooks/module_format.h>
#include <nooks/module_loader.h>

#include <string.h>

namespace nooks {

namespace {

using namespace elf;

// Bounds that keep every sum below from overflowing and a hostile file from asking for absurd
// amounts of memory.
constexpr nk::u64 MAX_IMAGE_SIZE = 256 * nk::MiB;
constexpr nk::u64 MAX_SECTION_ALIGNMENT = 2 * nk::MiB;
// Longest symbol name quoted in a problem message.
constexpr nk::usize MAX_QUOTED_NAME = 64;

// [offset, offset + length) lies within `size` bytes, computed without overflow.
bool range_inside(nk::u64 offset, nk::u64 length, nk::u64 size) {
    return offset <= size && length <= size - offset;
}

// Problem message pieces beyond plain strings and decimal numbers.
struct Hex {
    nk::u64 value;
};
struct Quoted {
    const char* text;
};

// Composes the problem message; the message is only written when the caller asked for one.
class Problem {
public:
    explicit Problem(LoadProblem* out) : m_out(out) {}

    template <typename... Parts>
    nk::Error fail(nk::Error error, const Parts&... parts) {
        if (m_out) {
            m_length = 0;
            (append(parts), ...);
            m_out->message[m_length] = '\0';
        }
        return error;
    }
    void clear() {
        if (m_out)
            m_out->message[0] = '\0';
    }

private:
    static constexpr nk::usize CAPACITY = sizeof(LoadProblem::message) - 1;

    void append_char(char c) {
        if (m_length < CAPACITY)
            m_out->message[m_length++] = c;
    }
    void append(const char* text) {
        while (*text)
            append_char(*text++);
    }
    void append(nk::u64 value) {
        char digits[20];
        nk::usize count = 0;
        do {
            digits[count++] = char('0' + value % 10);
            value /= 10;
        } while (value);
        while (count)
            append_char(digits[--count]);
    }
    void append(nk::u32 value) { append(nk::u64(value)); }
    void append(Hex hex) {
        append("0x");
        int shift = 60;
        while (shift > 0 && ((hex.value >> shift) & 0xf) == 0)
            shift -= 4;
        for (; shift >= 0; shift -= 4)
            append_char("0123456789abcdef"[(hex.value >> shift) & 0xf]);
    }
    void append(Quoted quoted) {
        append_char('\'');
        nk::usize length = strnlen(quoted.text, MAX_QUOTED_NAME + 1);
        for (nk::usize i = 0; i < length && i < MAX_QUOTED_NAME; ++i)
            append_char(quoted.text[i]);
        if (length > MAX_QUOTED_NAME)
            append("...");
        append_char('\'');
    }

    LoadProblem* m_out;
    nk::usize m_length = 0;
};

// The file, with the indices and tables check_structure() has validated. Accessors assume those
// checks passed; they read through memcpy because file data need not be aligned.
struct ObjectFile {
    const nk::u8* data;
    nk::usize size;
    Elf64_Ehdr header;
    Elf64_Shdr names;       // the section-name string table
    nk::usize symtab_index; // 0 when there is no symbol table
    Elf64_Shdr symtab;      // valid when symtab_index != 0
    Elf64_Shdr strtab;      // the symbol-name string table, likewise
    nk::usize symbol_count; // including the null symbol 0

    nk::usize section_count() const { return header.e_shnum; }
    Elf64_Shdr section(nk::usize index) const {
        Elf64_Shdr shdr;
        memcpy(&shdr, data + header.e_shoff + index * sizeof(Elf64_Shdr), sizeof shdr);
        return shdr;
    }
    Elf64_Sym symbol(nk::usize index) const {
        Elf64_Sym sym;
        memcpy(&sym, data + symtab.sh_offset + index * sizeof(Elf64_Sym), sizeof sym);
        return sym;
    }
    // String tables were checked to end in NUL, so a string starting inside one ends inside it.
    const char* section_name(const Elf64_Shdr& shdr) const {
        return reinterpret_cast<const char*>(data + names.sh_offset + shdr.sh_name);
    }
    const char* symbol_name(const Elf64_Sym& sym) const {
        return reinterpret_cast<const char*>(data + strtab.sh_offset + sym.st_name);
    }
};

// ---- Validation of the file's structure --------------------------------------------------------

nk::ErrorOr check_header(ObjectFile& file, Problem& problem) {
    const Elf64_Ehdr& header = file.header;
    if (memcmp(header.e_ident + EI_MAG0, ELFMAG, sizeof ELFMAG) != 0)
        return problem.fail(nk::Error::BadExec, "not an ELF file (bad magic)");
    if (header.e_ident[EI_CLASS] != ELFCLASS64)
        return problem.fail(nk::Error::BadExec, "not ELFCLASS64");
    if (header.e_ident[EI_DATA] != ELFDATA2LSB)
        return problem.fail(nk::Error::BadExec, "not little-endian (ELFDATA2LSB)");
    if (header.e_ident[EI_VERSION] != EV_CURRENT || header.e_version != EV_CURRENT)
        return problem.fail(nk::Error::BadExec, "ELF version is not EV_CURRENT");
    if (header.e_machine != EM_X86_64)
        return problem.fail(nk::Error::BadExec, "e_machine is not EM_X86_64");
    if (header.e_type != ET_REL)
        return problem.fail(nk::Error::BadExec, "e_type is not ET_REL (not a relocatable object)");
    if (header.e_shentsize != sizeof(Elf64_Shdr))
        return problem.fail(nk::Error::Corrupt, "e_shentsize is not sizeof(Elf64_Shdr)");
    // ELF-64 §4: e_shnum 0 with a non-zero e_shoff means the count is in section 0 (more than
    // 0xff00 sections); no module needs that many.
    if (header.e_shnum == 0)
        return problem.fail(nk::Error::NotSupported,
                            "no section headers (or extended section numbering)");
    // e_shnum <= 0xffff and e_shentsize == 64, so the product cannot overflow.
    if (!range_inside(header.e_shoff, nk::u64(header.e_shnum) * sizeof(Elf64_Shdr), file.size))
        return problem.fail(nk::Error::Corrupt, "section header table extends past end of file");
    if (header.e_shstrndx == SHN_XINDEX)
        return problem.fail(nk::Error::NotSupported, "extended section numbering (SHN_XINDEX)");
    if (header.e_shstrndx == SHN_UNDEF || header.e_shstrndx >= header.e_shnum)
        return problem.fail(nk::Error::Corrupt, "e_shstrndx ", nk::u32(header.e_shstrndx),
                            " is not a section");
    return {};
}

// A string table usable without further checks: inside the file, non-empty, last byte NUL
// (ELF-64 §4 "String table").
nk::ErrorOr check_string_table(const ObjectFile& file, nk::usize index, Problem& problem) {
    Elf64_Shdr shdr = file.section(index);
    if (shdr.sh_type != SHT_STRTAB)
        return problem.fail(nk::Error::Corrupt, "section ", nk::u64(index),
                            " should be a string table (SHT_STRTAB)");
    if (shdr.sh_size == 0 || file.data[shdr.sh_offset + shdr.sh_size - 1] != '\0')
        return problem.fail(nk::Error::Corrupt, "string table (section ", nk::u64(index),
                            ") is not NUL-terminated");
    return {};
}

nk::ErrorOr check_sections(ObjectFile& file, Problem& problem) {
    // Every section's file bytes first, so that the string-table checks below may read them.
    for (nk::usize index = 1; index < file.section_count(); ++index) {
        Elf64_Shdr shdr = file.section(index);
        if (shdr.sh_type != SHT_NOBITS && shdr.sh_type != SHT_NULL &&
            !range_inside(shdr.sh_offset, shdr.sh_size, file.size))
            return problem.fail(nk::Error::Corrupt, "section ", nk::u64(index),
                                " extends past end of file");
        if (shdr.sh_addralign > 1 && !nk::is_power_of_two(shdr.sh_addralign))
            return problem.fail(nk::Error::Corrupt, "section ", nk::u64(index),
                                " has an sh_addralign that is not a power of two");
        if (shdr.sh_type == SHT_SYMTAB) {
            if (file.symtab_index != 0)
                return problem.fail(nk::Error::Corrupt, "more than one symbol table");
            file.symtab_index = index;
        }
    }
    TRY(check_string_table(file, file.header.e_shstrndx, problem));
    file.names = file.section(file.header.e_shstrndx);
    for (nk::usize index = 1; index < file.section_count(); ++index) {
        if (file.section(index).sh_name >= file.names.sh_size)
            return problem.fail(nk::Error::Corrupt, "section ", nk::u64(index),
                                " has a name outside the section-name table");
    }
    if (file.symtab_index == 0)
        return {};
    file.symtab = file.section(file.symtab_index);
    if (file.symtab.sh_entsize != sizeof(Elf64_Sym) || file.symtab.sh_size % sizeof(Elf64_Sym))
        return problem.fail(nk::Error::Corrupt, "symbol table entry size is not sizeof(Elf64_Sym)");
    file.symbol_count = file.symtab.sh_size / sizeof(Elf64_Sym);
    if (file.symtab.sh_link == SHN_UNDEF || file.symtab.sh_link >= file.section_count())
        return problem.fail(nk::Error::Corrupt, "symbol table's sh_link is not a section");
    TRY(check_string_table(file, file.symtab.sh_link, problem));
    file.strtab = file.section(file.symtab.sh_link);
    return {};
}

// ---- Which sections are loaded, and where ------------------------------------------------------

enum class Group { Text, Rodata, Data, Bss };

bool starts_with(const char* text, const char* prefix) {
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

// SHF_ALLOC sections are part of the image, except the ones only a debugger or an unwinder
// reads: the kernel has no use for notes or unwind tables.
bool is_loaded(const ObjectFile& file, const Elf64_Shdr& shdr) {
    if (!(shdr.sh_flags & SHF_ALLOC))
        return false;
    if (shdr.sh_type == SHT_NOTE || shdr.sh_type == SHT_X86_64_UNWIND)
        return false;
    const char* name = file.section_name(shdr);
    return strcmp(name, ".eh_frame") != 0 && !starts_with(name, ".note");
}

bool is_loaded(const ObjectFile& file, nk::usize index) {
    return index != SHN_UNDEF && index < file.section_count() &&
           is_loaded(file, file.section(index));
}

Group group_of(const Elf64_Shdr& shdr) {
    if (shdr.sh_flags & SHF_EXECINSTR)
        return Group::Text;
    if (!(shdr.sh_flags & SHF_WRITE))
        return Group::Rodata;
    return shdr.sh_type == SHT_NOBITS ? Group::Bss : Group::Data;
}

struct Layout {
    nk::u64 offset[4]; // of each Group from the image base
    nk::u64 text_size, rodata_size, data_size;
    nk::u64 metadata_offset;
    nk::u64 alignment;
    nk::usize loaded_count;
};

// Places the loaded sections group by group, each group on a page boundary except bss, which
// follows data in the same read-write range. With `offsets` (one per section index) it records
// where each loaded section went. Deterministic, so the dry run that sizes the image and the
// real run agree.
nk::Result<Layout> place_sections(const ObjectFile& file, nk::u64* offsets, Problem& problem) {
    Layout layout = {};
    layout.alignment = MODULE_PAGE_SIZE;
    nk::u64 cursor = 0;
    for (int group = 0; group < 4; ++group) {
        if (Group(group) != Group::Bss)
            cursor = nk::align_up(cursor, MODULE_PAGE_SIZE);
        layout.offset[group] = cursor;
        for (nk::usize index = 1; index < file.section_count(); ++index) {
            Elf64_Shdr shdr = file.section(index);
            if (!is_loaded(file, shdr) || group_of(shdr) != Group(group))
                continue;
            if (shdr.sh_flags & SHF_TLS)
                return problem.fail(nk::Error::NotSupported, "section ", nk::u64(index),
                                    " is thread-local (SHF_TLS)");
            if ((shdr.sh_flags & SHF_WRITE) && (shdr.sh_flags & SHF_EXECINSTR))
                return problem.fail(nk::Error::NotSupported, "section ", nk::u64(index),
                                    " is both writable and executable");
            nk::u64 alignment = shdr.sh_addralign > 1 ? shdr.sh_addralign : 1;
            if (alignment > MAX_SECTION_ALIGNMENT)
                return problem.fail(nk::Error::NotSupported, "section ", nk::u64(index),
                                    " asks for alignment ", alignment);
            layout.alignment = nk::max(layout.alignment, alignment);
            // cursor <= MAX_IMAGE_SIZE and alignment <= 2 MiB: no overflow.
            cursor = nk::align_up(cursor, alignment);
            if (shdr.sh_size > MAX_IMAGE_SIZE - cursor)
                return problem.fail(nk::Error::TooBig, "module image larger than ",
                                    MAX_IMAGE_SIZE / nk::MiB, " MiB");
            if (offsets)
                offsets[index] = cursor;
            cursor += shdr.sh_size;
            ++layout.loaded_count;
        }
        if (Group(group) == Group::Text)
            layout.text_size = cursor - layout.offset[group];
        else if (Group(group) == Group::Rodata)
            layout.rodata_size = cursor - layout.offset[group];
    }
    layout.data_size = cursor - layout.offset[int(Group::Data)];
    layout.metadata_offset = nk::align_up(cursor, MODULE_PAGE_SIZE);
    return layout;
}

// ---- Symbols -----------------------------------------------------------------------------------

// Symbols worth keeping for find_symbol() and symbolize(): named functions and objects (or
// untyped labels) in loaded sections.
bool is_kept(const ObjectFile& file, const Elf64_Sym& sym) {
    nk::u8 type = symbol_type(sym.st_info);
    return sym.st_name != 0 && sym.st_shndx < SHN_LORESERVE && is_loaded(file, sym.st_shndx) &&
           (type == STT_NOTYPE || type == STT_OBJECT || type == STT_FUNC);
}

struct SymbolCounts {
    nk::usize kept;
    nk::u64 string_bytes; // names of kept symbols, with their NULs
};

nk::Result<SymbolCounts> check_symbols(const ObjectFile& file, Problem& problem) {
    SymbolCounts counts = {};
    for (nk::usize index = 1; index < file.symbol_count; ++index) {
        Elf64_Sym sym = file.symbol(index);
        if (sym.st_name >= file.strtab.sh_size)
            return problem.fail(nk::Error::Corrupt, "symbol ", nk::u64(index),
                                " has a name outside the string table");
        const char* name = file.symbol_name(sym);
        if (symbol_type(sym.st_info) == STT_TLS)
            return problem.fail(nk::Error::NotSupported, "thread-local symbol ", Quoted{name});
        if (sym.st_shndx == SHN_COMMON)
            return problem.fail(nk::Error::NotSupported, "common symbol ", Quoted{name},
                                " (build with -fno-common)");
        if (sym.st_shndx == SHN_XINDEX)
            return problem.fail(nk::Error::NotSupported, "symbol ", Quoted{name},
                                " uses extended section numbering (SHN_XINDEX)");
        if (sym.st_shndx == SHN_UNDEF) {
            if (name[0] == '\0')
                return problem.fail(nk::Error::Corrupt, "undefined symbol ", nk::u64(index),
                                    " has no name");
            continue;
        }
        if (sym.st_shndx == SHN_ABS)
            continue;
        if (sym.st_shndx >= SHN_LORESERVE || sym.st_shndx >= file.section_count())
            return problem.fail(nk::Error::Corrupt, "symbol ", nk::u64(index),
                                " has an invalid section index ", nk::u32(sym.st_shndx));
        if (!is_loaded(file, sym.st_shndx))
            continue;
        // A symbol may sit at its section's end (an end marker), not beyond.
        if (symbol_type(sym.st_info) != STT_SECTION &&
            sym.st_value > file.section(sym.st_shndx).sh_size)
            return problem.fail(nk::Error::Corrupt, "symbol ", Quoted{name},
                                " lies outside its section");
        if (is_kept(file, sym)) {
            ++counts.kept;
            counts.string_bytes += strlen(name) + 1;
        }
    }
    return counts;
}

// ---- Relocations -------------------------------------------------------------------------------

// Bytes a relocation type writes; 0 for an unsupported type.
nk::u64 relocation_width(nk::u32 type) {
    switch (type) {
    case R_X86_64_NONE:
        return 0;
    case R_X86_64_64:
    case R_X86_64_PC64:
        return 8;
    case R_X86_64_PC32:
    case R_X86_64_PLT32:
    case R_X86_64_32:
    case R_X86_64_32S:
        return 4;
    default:
        return 0;
    }
}

bool is_supported_relocation(nk::u32 type) {
    return type == R_X86_64_NONE || relocation_width(type) != 0;
}

const char* relocation_name(nk::u32 type) {
    switch (type) {
    case R_X86_64_64:
        return "R_X86_64_64";
    case R_X86_64_PC64:
        return "R_X86_64_PC64";
    case R_X86_64_PC32:
        return "R_X86_64_PC32";
    case R_X86_64_PLT32:
        return "R_X86_64_PLT32";
    case R_X86_64_32:
        return "R_X86_64_32";
    case R_X86_64_32S:
        return "R_X86_64_32S";
    default:
        return "R_X86_64_NONE";
    }
}

// A relocation section whose target is loaded (sh_info) and which therefore gets applied.
// SHT_REL ones are refused: x86-64 objects use RELA (AMD64 supplement §4.4).
bool applies_to_loaded(const ObjectFile& file, const Elf64_Shdr& shdr) {
    return (shdr.sh_type == SHT_RELA || shdr.sh_type == SHT_REL) && is_loaded(file, shdr.sh_info);
}

Elf64_Rela relocation(const ObjectFile& file, const Elf64_Shdr& shdr, nk::usize index) {
    Elf64_Rela rela;
    memcpy(&rela, file.data + shdr.sh_offset + index * sizeof(Elf64_Rela), sizeof rela);
    return rela;
}

nk::ErrorOr check_relocation_section(const ObjectFile& file, nk::usize index, Problem& problem) {
    Elf64_Shdr shdr = file.section(index);
    if (shdr.sh_info == SHN_UNDEF || shdr.sh_info >= file.section_count())
        return problem.fail(nk::Error::Corrupt, "relocation section ", nk::u64(index),
                            " has an invalid target section (sh_info)");
    if (!is_loaded(file, shdr.sh_info))
        return {};
    if (shdr.sh_type == SHT_REL)
        return problem.fail(nk::Error::NotSupported, "relocation section ", nk::u64(index),
                            " is SHT_REL: only SHT_RELA is supported on x86-64");
    if (shdr.sh_entsize != sizeof(Elf64_Rela) || shdr.sh_size % sizeof(Elf64_Rela))
        return problem.fail(nk::Error::Corrupt, "relocation section ", nk::u64(index),
                            " entry size is not sizeof(Elf64_Rela)");
    if (file.symtab_index == 0 || shdr.sh_link != file.symtab_index)
        return problem.fail(nk::Error::Corrupt, "relocation section ", nk::u64(index),
                            " does not link to the symbol table");
    Elf64_Shdr target = file.section(shdr.sh_info);
    const char* target_name = file.section_name(target);
    if (target.sh_type == SHT_NOBITS)
        return problem.fail(nk::Error::Corrupt, "relocations into ", target_name,
                            ", which has no file bytes (SHT_NOBITS)");
    for (nk::usize entry = 0; entry < shdr.sh_size / sizeof(Elf64_Rela); ++entry) {
        Elf64_Rela rela = relocation(file, shdr, entry);
        nk::u32 type = relocation_type(rela.r_info);
        nk::u32 symbol = relocation_symbol(rela.r_info);
        if (!is_supported_relocation(type))
            return problem.fail(nk::Error::NotSupported, "relocation type ", type,
                                " not supported (at ", target_name, "+", Hex{rela.r_offset}, ")");
        if (!range_inside(rela.r_offset, relocation_width(type), target.sh_size))
            return problem.fail(nk::Error::Corrupt, "relocation at ", target_name, "+",
                                Hex{rela.r_offset}, " extends past the end of the section");
        if (symbol >= file.symbol_count)
            return problem.fail(nk::Error::Corrupt, "relocation at ", target_name, "+",
                                Hex{rela.r_offset}, " refers to symbol ", symbol,
                                ", past the symbol table");
        if (symbol == 0)
            continue;
        Elf64_Sym sym = file.symbol(symbol);
        if (sym.st_shndx != SHN_UNDEF && sym.st_shndx != SHN_ABS && !is_loaded(file, sym.st_shndx))
            return problem.fail(nk::Error::Corrupt, "relocation at ", target_name, "+",
                                Hex{rela.r_offset}, " refers to ", Quoted{file.symbol_name(sym)},
                                " in section ", nk::u32(sym.st_shndx), ", which is not loaded");
    }
    return {};
}

nk::ErrorOr check_relocations(const ObjectFile& file, Problem& problem) {
    for (nk::usize index = 1; index < file.section_count(); ++index) {
        Elf64_Shdr shdr = file.section(index);
        if (shdr.sh_type == SHT_RELA || shdr.sh_type == SHT_REL)
            TRY(check_relocation_section(file, index, problem));
    }
    return {};
}

// ---- Loading -----------------------------------------------------------------------------------

// What the image's metadata range holds, in this order: ModuleSection[loaded_count],
// ModuleSymbol[kept], u64 section_address[e_shnum] (0 for sections not loaded), then the names.
struct MetadataLayout {
    nk::u64 sections_offset;
    nk::u64 symbols_offset;
    nk::u64 addresses_offset;
    nk::u64 strings_offset;
    nk::u64 size;
};

nk::Result<MetadataLayout> plan_metadata(const ObjectFile& file, const Layout& layout,
                                         const SymbolCounts& symbols, Problem& problem) {
    MetadataLayout metadata = {};
    nk::u64 section_name_bytes = 0;
    for (nk::usize index = 1; index < file.section_count(); ++index) {
        Elf64_Shdr shdr = file.section(index);
        if (is_loaded(file, shdr))
            section_name_bytes += strlen(file.section_name(shdr)) + 1;
    }
    // Every term is bounded by the file size (or e_shnum), far below 2^63.
    metadata.sections_offset = 0;
    metadata.symbols_offset = layout.loaded_count * sizeof(ModuleSection);
    metadata.addresses_offset = metadata.symbols_offset + symbols.kept * sizeof(ModuleSymbol);
    metadata.strings_offset = metadata.addresses_offset + file.section_count() * sizeof(nk::u64);
    metadata.size = metadata.strings_offset + section_name_bytes + symbols.string_bytes;
    if (metadata.size > MAX_IMAGE_SIZE - layout.metadata_offset)
        return problem.fail(nk::Error::TooBig, "module image larger than ",
                            MAX_IMAGE_SIZE / nk::MiB, " MiB");
    return metadata;
}

// Loading after allocation: copies, relocates and records, with everything structural already
// checked. What can still fail: imports and relocated values that do not fit.
class ImageBuilder {
public:
    ImageBuilder(const ObjectFile& file, ModuleEnvironment& env, const ModuleMemory& memory,
                 const Layout& layout, const MetadataLayout& metadata, Problem& problem)
        : m_file(file), m_env(env), m_memory(memory), m_layout(layout), m_metadata(metadata),
          m_problem(problem) {
        m_meta = memory.writable + layout.metadata_offset;
        m_addresses = reinterpret_cast<nk::u64*>(m_meta + metadata.addresses_offset);
        m_strings = reinterpret_cast<char*>(m_meta + metadata.strings_offset);
    }

    nk::ErrorOr build(LoadedModule& module) {
        nk::u64 image_size = m_layout.metadata_offset + m_metadata.size;
        memset(m_memory.writable, 0, nk::align_up(image_size, MODULE_PAGE_SIZE));
        // The offsets land in the address table, then become addresses.
        (void)MUST(place_sections(m_file, m_addresses, m_problem));
        for (nk::usize index = 1; index < m_file.section_count(); ++index) {
            if (is_loaded(m_file, index))
                m_addresses[index] += m_memory.address;
            else
                m_addresses[index] = 0;
        }
        copy_sections(module);
        TRY(apply_relocations());
        record_symbols(module);
        return {};
    }

private:
    nk::u8* writable_at(nk::u64 address) {
        return m_memory.writable + (address - m_memory.address);
    }

    char* store_string(const char* text) {
        char* stored = m_strings;
        nk::usize length = strlen(text) + 1;
        memcpy(stored, text, length);
        m_strings += length;
        return stored;
    }

    void copy_sections(LoadedModule& module) {
        auto* sections = reinterpret_cast<ModuleSection*>(m_meta + m_metadata.sections_offset);
        nk::usize count = 0;
        for (nk::usize index = 1; index < m_file.section_count(); ++index) {
            Elf64_Shdr shdr = m_file.section(index);
            if (!is_loaded(m_file, shdr))
                continue;
            if (shdr.sh_type != SHT_NOBITS)
                memcpy(writable_at(m_addresses[index]), m_file.data + shdr.sh_offset, shdr.sh_size);
            sections[count++] = {
                .name = store_string(m_file.section_name(shdr)),
                .address = m_addresses[index],
                .size = shdr.sh_size,
                .writable = (shdr.sh_flags & SHF_WRITE) != 0,
                .executable = (shdr.sh_flags & SHF_EXECINSTR) != 0,
            };
        }
        module.section_table = sections;
        module.section_count = count;
    }

    // S in the AMD64 relocation formulas.
    nk::Result<nk::u64> symbol_value(nk::u32 index) {
        if (index == 0)
            return nk::u64(0);
        Elf64_Sym sym = m_file.symbol(index);
        if (sym.st_shndx == SHN_ABS)
            return sym.st_value;
        if (sym.st_shndx != SHN_UNDEF)
            return m_addresses[sym.st_shndx] + sym.st_value;
        const char* name = m_file.symbol_name(sym);
        auto resolved = m_env.resolve_import(name);
        if (resolved.has_value())
            return resolved.value();
        if (resolved.error() == nk::Error::NoEntry) {
            // gABI "Symbol Table": an unresolved weak reference has the value zero.
            if (symbol_binding(sym.st_info) == STB_WEAK)
                return nk::u64(0);
            return m_problem.fail(nk::Error::NoEntry, "unknown symbol ", Quoted{name});
        }
        return m_problem.fail(resolved.error(), "cannot resolve symbol ", Quoted{name});
    }

    nk::ErrorOr apply(const Elf64_Rela& rela, const Elf64_Shdr& target, nk::u64 target_address) {
        nk::u32 type = relocation_type(rela.r_info);
        if (type == R_X86_64_NONE)
            return {};
        nk::u64 s = TRY(symbol_value(relocation_symbol(rela.r_info)));
        nk::u64 p = target_address + rela.r_offset;
        nk::u64 a = nk::u64(rela.r_addend);
        // Arithmetic is modulo 2^64, like the processor's own address computation: a PC32 field
        // reaches its target exactly when the wrapped difference, read as signed, fits in 32 bits.
        nk::u64 value = 0;
        bool fits = true;
        switch (type) {
        case R_X86_64_64:
            value = s + a;
            break;
        case R_X86_64_PC64:
            value = s + a - p;
            break;
        case R_X86_64_PC32:
        case R_X86_64_PLT32: // no PLT: the call goes straight to S
            value = s + a - p;
            fits = nk::i64(value) == nk::i64(nk::i32(value));
            break;
        case R_X86_64_32:
            value = s + a;
            fits = value <= 0xffffffffull;
            break;
        case R_X86_64_32S:
            value = s + a;
            fits = nk::i64(value) == nk::i64(nk::i32(value));
            break;
        }
        if (!fits) {
            Elf64_Sym sym = m_file.symbol(relocation_symbol(rela.r_info));
            return m_problem.fail(nk::Error::Range, relocation_name(type), " against ",
                                  Quoted{m_file.symbol_name(sym)}, " at ",
                                  m_file.section_name(target), "+", Hex{rela.r_offset}, ": value ",
                                  Hex{value}, " does not fit in 32 bits");
        }
        nk::u8* field = writable_at(p);
        if (relocation_width(type) == 8) {
            memcpy(field, &value, 8);
        } else {
            nk::u32 narrow = nk::u32(value);
            memcpy(field, &narrow, 4);
        }
        return {};
    }

    nk::ErrorOr apply_relocations() {
        for (nk::usize index = 1; index < m_file.section_count(); ++index) {
            Elf64_Shdr shdr = m_file.section(index);
            if (!applies_to_loaded(m_file, shdr))
                continue;
            Elf64_Shdr target = m_file.section(shdr.sh_info);
            for (nk::usize entry = 0; entry < shdr.sh_size / sizeof(Elf64_Rela); ++entry)
                TRY(apply(relocation(m_file, shdr, entry), target, m_addresses[shdr.sh_info]));
        }
        return {};
    }

    void record_symbols(LoadedModule& module) {
        auto* symbols = reinterpret_cast<ModuleSymbol*>(m_meta + m_metadata.symbols_offset);
        nk::usize count = 0;
        for (nk::usize index = 1; index < m_file.symbol_count; ++index) {
            Elf64_Sym sym = m_file.symbol(index);
            if (!is_kept(m_file, sym))
                continue;
            nk::u8 binding = symbol_binding(sym.st_info);
            symbols[count++] = {
                .name = store_string(m_file.symbol_name(sym)),
                .address = m_addresses[sym.st_shndx] + sym.st_value,
                .size = sym.st_size,
                .global = binding == STB_GLOBAL || binding == STB_WEAK,
                .function = symbol_type(sym.st_info) == STT_FUNC,
            };
        }
        module.symbol_table = symbols;
        module.symbol_count = count;
    }

    const ObjectFile& m_file;
    ModuleEnvironment& m_env;
    ModuleMemory m_memory;
    const Layout& m_layout;
    const MetadataLayout& m_metadata;
    Problem& m_problem;
    nk::u8* m_meta;
    nk::u64* m_addresses;
    char* m_strings;
};

nk::Result<LoadedModule> load(const nk::u8* data, nk::usize size, ModuleEnvironment& env,
                              Problem& problem) {
    if (!data || size < sizeof(Elf64_Ehdr))
        return problem.fail(nk::Error::BadExec, "file smaller than the ELF header");
    ObjectFile file = {};
    file.data = data;
    file.size = size;
    memcpy(&file.header, data, sizeof file.header);
    TRY(check_header(file, problem));
    TRY(check_sections(file, problem));
    SymbolCounts symbols = TRY(check_symbols(file, problem));
    TRY(check_relocations(file, problem));
    Layout layout = TRY(place_sections(file, nullptr, problem));
    MetadataLayout metadata = TRY(plan_metadata(file, layout, symbols, problem));

    nk::u64 image_size = nk::align_up(layout.metadata_offset + metadata.size, MODULE_PAGE_SIZE);
    auto allocated = env.allocate_image(image_size, layout.alignment);
    if (allocated.is_error())
        return problem.fail(allocated.error(), "cannot allocate ", image_size,
                            " bytes for the module image");
    ModuleMemory memory = allocated.value();
    if (!memory.writable || !nk::is_aligned(memory.address, layout.alignment) ||
        memory.address > ~nk::u64(0) - image_size) {
        env.free_image(memory, image_size);
        return problem.fail(nk::Error::Invalid, "the environment returned unusable image memory");
    }

    LoadedModule module = {};
    module.memory = memory;
    module.size = image_size;
    module.alignment = layout.alignment;
    module.text = {memory.address + layout.offset[int(Group::Text)], layout.text_size};
    module.rodata = {memory.address + layout.offset[int(Group::Rodata)], layout.rodata_size};
    module.data = {memory.address + layout.offset[int(Group::Data)], layout.data_size};
    module.metadata = {memory.address + layout.metadata_offset,
                       image_size - layout.metadata_offset};
    ImageBuilder builder(file, env, memory, layout, metadata, problem);
    auto built = builder.build(module);
    if (built.is_error()) {
        env.free_image(memory, image_size);
        return built.error();
    }
    return module;
}

} // namespace

nk::Result<LoadedModule> load_module(const nk::u8* file, nk::usize size, ModuleEnvironment& env,
                                     LoadProblem* problem) {
    Problem reporter(problem);
    reporter.clear();
    return load(file, size, env, reporter);
}

// ---- The loaded module's own symbol table ------------------------------------------------------

bool LoadedModule::contains(nk::u64 address) const {
    return address >= memory.address &&
           address - memory.address < metadata.address - memory.address;
}

nk::Result<nk::u64> LoadedModule::find_symbol(const char* name) const {
    for (const ModuleSymbol& symbol : symbols()) {
        if (symbol.global && strcmp(symbol.name, name) == 0)
            return symbol.address;
    }
    return nk::Error::NoEntry;
}

nk::Result<ModuleSymbolLookup> LoadedModule::lookup(nk::u64 address) const {
    if (!contains(address))
        return nk::Error::NoEntry;
    const ModuleSymbol* best = nullptr;
    for (const ModuleSymbol& symbol : symbols()) {
        if (symbol.address > address)
            continue;
        if (symbol.size != 0 && address - symbol.address >= symbol.size)
            continue;
        // The closest start wins; at equal starts a sized, global function beats a label.
        if (!best || symbol.address > best->address ||
            (symbol.address == best->address &&
             (symbol.size != 0) + symbol.global + symbol.function >
                 (best->size != 0) + best->global + best->function))
            best = &symbol;
    }
    if (!best)
        return nk::Error::NoEntry;
    return ModuleSymbolLookup{best->name, best->address, address - best->address};
}

bool LoadedModule::symbolize(nk::u64 address, char* buffer, nk::usize buffer_size) const {
    auto found = lookup(address);
    if (found.is_error())
        return false;
    if (buffer_size == 0)
        return true;
    nk::usize length = 0;
    auto put = [&](char c) {
        if (length + 1 < buffer_size)
            buffer[length++] = c;
    };
    // Readable C++ names ("(anonymous namespace)::crash(long, long)"); C names stay as they are.
    char readable[160];
    (void)kernel::debug::demangle(found.value().name, readable, sizeof readable);
    for (const char* c = readable; *c; ++c)
        put(*c);
    put('+');
    put('0');
    put('x');
    nk::u64 offset = found.value().offset;
    int shift = 60;
    while (shift > 0 && ((offset >> shift) & 0xf) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        put("0123456789abcdef"[(offset >> shift) & 0xf]);
    buffer[length] = '\0';
    return true;
}

} // namespace nooks
