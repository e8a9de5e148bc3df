// ELF-64 structures and constants, as defined by "ELF-64 Object File Format" version 1.5
// (§3 "ELF header", §6 "Program header table") and the System V ABI AMD64 supplement
// (§4.1.1 machine EM_X86_64). Only what loading a static executable needs. The layouts match the
// file byte for byte; read them with memcpy, since file data need not be aligned.
#pragma once

#include <nk/types.h>

namespace kernel::elf {

using Elf64_Addr = nk::u64;
using Elf64_Off = nk::u64;
using Elf64_Half = nk::u16;
using Elf64_Word = nk::u32;
using Elf64_Xword = nk::u64;

// e_ident indices and values (§3, table 2-4).
constexpr nk::usize EI_MAG0 = 0;
constexpr nk::usize EI_CLASS = 4;
constexpr nk::usize EI_DATA = 5;
constexpr nk::usize EI_VERSION = 6;
constexpr nk::usize EI_OSABI = 7;
constexpr nk::usize EI_NIDENT = 16;
constexpr nk::u8 ELFMAG[4] = {0x7f, 'E', 'L', 'F'};
constexpr nk::u8 ELFCLASS64 = 2;
constexpr nk::u8 ELFDATA2LSB = 1;
constexpr nk::u8 EV_CURRENT = 1;

// e_type
constexpr Elf64_Half ET_EXEC = 2;
constexpr Elf64_Half ET_DYN = 3;
// e_machine (System V ABI AMD64, §4.1.1)
constexpr Elf64_Half EM_X86_64 = 62;
// e_phnum value meaning "the real count is in section header 0's sh_info" (extended numbering)
constexpr Elf64_Half PN_XNUM = 0xffff;

struct Elf64_Ehdr {
    nk::u8 e_ident[EI_NIDENT];
    Elf64_Half e_type;
    Elf64_Half e_machine;
    Elf64_Word e_version;
    Elf64_Addr e_entry;
    Elf64_Off e_phoff;
    Elf64_Off e_shoff;
    Elf64_Word e_flags;
    Elf64_Half e_ehsize;
    Elf64_Half e_phentsize;
    Elf64_Half e_phnum;
    Elf64_Half e_shentsize;
    Elf64_Half e_shnum;
    Elf64_Half e_shstrndx;
};
static_assert(sizeof(Elf64_Ehdr) == 64);

// p_type (§6, table 6-1)
constexpr Elf64_Word PT_NULL = 0;
constexpr Elf64_Word PT_LOAD = 1;
constexpr Elf64_Word PT_DYNAMIC = 2;
constexpr Elf64_Word PT_INTERP = 3;
constexpr Elf64_Word PT_NOTE = 4;
constexpr Elf64_Word PT_PHDR = 6;
constexpr Elf64_Word PT_TLS = 7;
constexpr Elf64_Word PT_GNU_STACK = 0x6474e551;

// p_flags (§6, table 6-2)
constexpr Elf64_Word PF_X = 0x1;
constexpr Elf64_Word PF_W = 0x2;
constexpr Elf64_Word PF_R = 0x4;

struct Elf64_Phdr {
    Elf64_Word p_type;
    Elf64_Word p_flags;
    Elf64_Off p_offset;
    Elf64_Addr p_vaddr;
    Elf64_Addr p_paddr;
    Elf64_Xword p_filesz;
    Elf64_Xword p_memsz;
    Elf64_Xword p_align;
};
static_assert(sizeof(Elf64_Phdr) == 56);

} // namespace kernel::elf
