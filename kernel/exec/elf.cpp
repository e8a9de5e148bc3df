#include <kernel/exec/elf.h>
#include <kernel/exec/elf_format.h>
#include <nk/syscall_abi.h>

#include <string.h>

namespace kernel {

namespace {

using namespace elf;

// The page size user mappings are made with (x86-64 4 KiB pages).
constexpr nk::u64 USER_PAGE_SIZE = 4096;

// Carries the failed check's description out of the helpers.
struct Failure {
    const char* reason = nullptr;

    nk::Error fail(const char* why) {
        reason = why;
        return nk::Error::BadExec;
    }
};

// [offset, offset + length) lies within a buffer of `size` bytes, computed without overflow.
bool range_inside(nk::u64 offset, nk::u64 length, nk::u64 size) {
    return offset <= size && length <= size - offset;
}

nk::ErrorOr check_header(const Elf64_Ehdr& header, nk::usize size, Failure& failure) {
    if (memcmp(header.e_ident + EI_MAG0, ELFMAG, sizeof ELFMAG) != 0)
        return failure.fail("not an ELF file (bad magic)");
    if (header.e_ident[EI_CLASS] != ELFCLASS64)
        return failure.fail("not ELFCLASS64");
    if (header.e_ident[EI_DATA] != ELFDATA2LSB)
        return failure.fail("not little-endian (ELFDATA2LSB)");
    if (header.e_ident[EI_VERSION] != EV_CURRENT || header.e_version != EV_CURRENT)
        return failure.fail("ELF version is not EV_CURRENT");
    if (header.e_machine != EM_X86_64)
        return failure.fail("e_machine is not EM_X86_64");
    if (header.e_type == ET_DYN)
        return failure.fail("ET_DYN: position-independent executables are not supported");
    if (header.e_type != ET_EXEC)
        return failure.fail("e_type is not ET_EXEC");
    if (header.e_phentsize != sizeof(Elf64_Phdr))
        return failure.fail("e_phentsize is not sizeof(Elf64_Phdr)");
    if (header.e_phnum == 0)
        return failure.fail("no program headers");
    if (header.e_phnum == PN_XNUM)
        return failure.fail("extended program header numbering (PN_XNUM) not supported");
    // e_phnum < 0xffff and e_phentsize == 56, so the product cannot overflow.
    nk::u64 table_size = nk::u64(header.e_phnum) * sizeof(Elf64_Phdr);
    if (!range_inside(header.e_phoff, table_size, size))
        return failure.fail("program header table outside the file");
    return {};
}

nk::ErrorOr check_load_segment(const Elf64_Phdr& phdr, nk::usize size, Failure& failure) {
    if (phdr.p_filesz > phdr.p_memsz)
        return failure.fail("PT_LOAD with p_filesz > p_memsz");
    if (!range_inside(phdr.p_offset, phdr.p_filesz, size))
        return failure.fail("PT_LOAD file bytes outside the file");
    if (phdr.p_vaddr < nk::abi::USER_IMAGE_BASE)
        return failure.fail("PT_LOAD below USER_IMAGE_BASE");
    if (!range_inside(phdr.p_vaddr, phdr.p_memsz, nk::abi::USER_SPACE_END))
        return failure.fail("PT_LOAD beyond the user address space");
    // ELF-64 §6: loadable segments have p_vaddr ≡ p_offset modulo the page size, so that the
    // file's pages can be mapped at the segment's pages.
    if (phdr.p_vaddr % USER_PAGE_SIZE != phdr.p_offset % USER_PAGE_SIZE)
        return failure.fail("PT_LOAD p_vaddr and p_offset not congruent modulo the page size");
    return {};
}

// The first and one-past-last page addresses a segment touches. The segment lies below
// USER_SPACE_END, so rounding up cannot overflow.
nk::u64 first_page(const ElfSegment& segment) {
    return nk::align_down(segment.vaddr, USER_PAGE_SIZE);
}
nk::u64 end_page(const ElfSegment& segment) {
    return nk::align_up(segment.vaddr + segment.memsz, USER_PAGE_SIZE);
}

// Segments are mapped page by page with their own permissions; two segments sharing a page
// would need one mapping with both permissions, so they are refused.
bool overlaps_earlier(const ElfImage& image, const ElfSegment& segment) {
    for (nk::usize i = 0; i < image.segment_count; ++i) {
        const ElfSegment& other = image.segments[i];
        if (first_page(segment) < end_page(other) && first_page(other) < end_page(segment))
            return true;
    }
    return false;
}

bool entry_is_executable(const ElfImage& image) {
    for (nk::usize i = 0; i < image.segment_count; ++i) {
        const ElfSegment& segment = image.segments[i];
        if (segment.executable && image.entry >= segment.vaddr &&
            image.entry - segment.vaddr < segment.memsz)
            return true;
    }
    return false;
}

nk::Result<ElfImage> parse(const nk::u8* data, nk::usize size, Failure& failure) {
    if (!data || size < sizeof(Elf64_Ehdr))
        return failure.fail("file smaller than the ELF header");
    Elf64_Ehdr header;
    memcpy(&header, data, sizeof header);
    TRY(check_header(header, size, failure));

    ElfImage image = {};
    image.entry = header.e_entry;
    nk::usize load_count = 0;
    for (nk::usize index = 0; index < header.e_phnum; ++index) {
        Elf64_Phdr phdr;
        memcpy(&phdr, data + header.e_phoff + index * sizeof(Elf64_Phdr), sizeof phdr);
        if (phdr.p_type == PT_INTERP)
            return failure.fail("PT_INTERP present: dynamically linked");
        if (phdr.p_type != PT_LOAD)
            continue;
        if (++load_count > ElfImage::MAX_SEGMENTS)
            return failure.fail("too many PT_LOAD segments");
        TRY(check_load_segment(phdr, size, failure));
        if (phdr.p_memsz == 0)
            continue;
        ElfSegment segment = {
            .vaddr = phdr.p_vaddr,
            .memsz = phdr.p_memsz,
            .offset = phdr.p_offset,
            .filesz = phdr.p_filesz,
            .writable = (phdr.p_flags & PF_W) != 0,
            .executable = (phdr.p_flags & PF_X) != 0,
        };
        if (overlaps_earlier(image, segment))
            return failure.fail("PT_LOAD segments share a page");
        image.segments[image.segment_count++] = segment;
    }
    if (image.segment_count == 0)
        return failure.fail("no PT_LOAD segment");
    if (!entry_is_executable(image))
        return failure.fail("entry point not in an executable segment");
    return image;
}

} // namespace

nk::Result<ElfImage> parse_elf_executable(const nk::u8* data, nk::usize size, const char** reason) {
    Failure failure;
    auto result = parse(data, size, failure);
    if (reason)
        *reason = failure.reason;
    return result;
}

} // namespace kernel
