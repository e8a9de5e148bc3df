// Validates a static x86_64 ELF executable and describes what to map; the process code does the
// mapping. The file is untrusted (it comes from the file system): every offset and size is
// checked with overflow-safe arithmetic before use, and nothing outside [data, data + size) is
// read.
//
// Accepted: ELFCLASS64, little-endian, EV_CURRENT, EM_X86_64, ET_EXEC; 1 to ElfImage::MAX_SEGMENTS
// PT_LOAD segments, each with p_filesz <= p_memsz, its file bytes inside the file, its memory
// inside [USER_IMAGE_BASE, USER_SPACE_END), p_vaddr and p_offset congruent modulo the page size,
// and no page shared with another segment; the entry point in an executable segment. A PT_LOAD
// with p_memsz 0 is checked like the others but maps nothing and is not listed. Other program
// header types (PT_NOTE, PT_GNU_STACK, PT_TLS, ...) are ignored.
// Refused: anything else, in particular PT_INTERP (no dynamic linking) and position-independent
// (ET_DYN) files.
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace kernel {

// One PT_LOAD segment: map [vaddr, vaddr + memsz); its first filesz bytes come from the file at
// offset, the rest is zero. vaddr is not necessarily page aligned (offset has the same page
// offset).
struct ElfSegment {
    nk::u64 vaddr;
    nk::u64 memsz;
    nk::u64 offset;
    nk::u64 filesz;
    bool writable;
    bool executable;
};

struct ElfImage {
    static constexpr nk::usize MAX_SEGMENTS = 16;

    nk::u64 entry;
    ElfSegment segments[MAX_SEGMENTS]; // in program header order
    nk::usize segment_count;
};

// Error::BadExec for any malformed or unsupported file; when `reason` is not null it receives a
// static description of the check that failed (e.g. "PT_INTERP present: dynamically linked"),
// and nullptr on success.
nk::Result<ElfImage> parse_elf_executable(const nk::u8* data, nk::usize size,
                                          const char** reason = nullptr);

} // namespace kernel
