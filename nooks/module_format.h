// The parts of ELF-64 that relocatable objects (ET_REL) add to what kernel/exec/elf_format.h
// defines for executables: section headers, symbols and RELA relocations ("ELF-64 Object File
// Format" version 1.5, §4 "Sections", §5 "Symbol table", §5 "Relocations"), and the x86-64
// relocation types (System V ABI AMD64 supplement, §4.4 "Relocation Types", table 4.9). The
// layouts match the file byte for byte; read them with memcpy, since file data need not be
// aligned.
#pragma once

#include <kernel/exec/elf_format.h>
#include <nk/types.h>

namespace nooks::elf {

using namespace kernel::elf;

using Elf64_Sxword = nk::i64;

// e_type (§3, table 2-6)
constexpr Elf64_Half ET_REL = 1;

// Special section indices (§4, table 7)
constexpr Elf64_Half SHN_UNDEF = 0;
constexpr Elf64_Half SHN_LORESERVE = 0xff00;
constexpr Elf64_Half SHN_ABS = 0xfff1;
constexpr Elf64_Half SHN_COMMON = 0xfff2;
constexpr Elf64_Half SHN_XINDEX = 0xffff;

// sh_type (§4, table 8; SHT_X86_64_UNWIND from the AMD64 supplement §4.2.1)
constexpr Elf64_Word SHT_NULL = 0;
constexpr Elf64_Word SHT_PROGBITS = 1;
constexpr Elf64_Word SHT_SYMTAB = 2;
constexpr Elf64_Word SHT_STRTAB = 3;
constexpr Elf64_Word SHT_RELA = 4;
constexpr Elf64_Word SHT_NOTE = 7;
constexpr Elf64_Word SHT_NOBITS = 8;
constexpr Elf64_Word SHT_REL = 9;
constexpr Elf64_Word SHT_X86_64_UNWIND = 0x70000001;

// sh_flags (§4, table 9; SHF_TLS from the gABI)
constexpr Elf64_Xword SHF_WRITE = 0x1;
constexpr Elf64_Xword SHF_ALLOC = 0x2;
constexpr Elf64_Xword SHF_EXECINSTR = 0x4;
constexpr Elf64_Xword SHF_TLS = 0x400;

struct Elf64_Shdr {
    Elf64_Word sh_name;
    Elf64_Word sh_type;
    Elf64_Xword sh_flags;
    Elf64_Addr sh_addr;
    Elf64_Off sh_offset;
    Elf64_Xword sh_size;
    Elf64_Word sh_link;
    Elf64_Word sh_info;
    Elf64_Xword sh_addralign;
    Elf64_Xword sh_entsize;
};
static_assert(sizeof(Elf64_Shdr) == 64);

// st_info: binding in the high nibble, type in the low one (§5, tables 14 and 15).
constexpr nk::u8 STB_LOCAL = 0;
constexpr nk::u8 STB_GLOBAL = 1;
constexpr nk::u8 STB_WEAK = 2;
constexpr nk::u8 STT_NOTYPE = 0;
constexpr nk::u8 STT_OBJECT = 1;
constexpr nk::u8 STT_FUNC = 2;
constexpr nk::u8 STT_SECTION = 3;
constexpr nk::u8 STT_FILE = 4;
constexpr nk::u8 STT_TLS = 6;
constexpr nk::u8 symbol_binding(nk::u8 info) {
    return info >> 4;
}
constexpr nk::u8 symbol_type(nk::u8 info) {
    return info & 0xf;
}

struct Elf64_Sym {
    Elf64_Word st_name;
    nk::u8 st_info;
    nk::u8 st_other;
    Elf64_Half st_shndx;
    Elf64_Addr st_value;
    Elf64_Xword st_size;
};
static_assert(sizeof(Elf64_Sym) == 24);

// r_info: symbol index in the high 32 bits, relocation type in the low 32 (§5, figure 5).
struct Elf64_Rela {
    Elf64_Addr r_offset;
    Elf64_Xword r_info;
    Elf64_Sxword r_addend;
};
static_assert(sizeof(Elf64_Rela) == 24);
constexpr nk::u32 relocation_symbol(Elf64_Xword info) {
    return nk::u32(info >> 32);
}
constexpr nk::u32 relocation_type(Elf64_Xword info) {
    return nk::u32(info);
}

// x86-64 relocation types (AMD64 supplement §4.4, table 4.9). S is the symbol's address, A the
// addend, P the address of the field being relocated.
constexpr nk::u32 R_X86_64_NONE = 0;  // none
constexpr nk::u32 R_X86_64_64 = 1;    // word64: S + A
constexpr nk::u32 R_X86_64_PC32 = 2;  // word32: S + A - P
constexpr nk::u32 R_X86_64_PLT32 = 4; // word32: L + A - P (L: the PLT entry, here S itself)
constexpr nk::u32 R_X86_64_32 = 10;   // word32: S + A, zero-extended
constexpr nk::u32 R_X86_64_32S = 11;  // word32: S + A, sign-extended
constexpr nk::u32 R_X86_64_PC64 = 24; // word64: S + A - P

} // namespace nooks::elf
