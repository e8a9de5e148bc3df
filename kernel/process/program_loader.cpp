#include <kernel/exec/elf.h>
#include <kernel/memory/frame_allocator.h>
#include <kernel/memory/layout.h>
#include <kernel/process/program_loader.h>
#include <nk/syscall_abi.h>

#include <string.h>

namespace kernel {

namespace {

using x86::PageFlags;

// Copies `length` bytes to user address `virt` through the physmap, page by page (the pages
// were just mapped, so kernel_view cannot fail for them).
nk::ErrorOr copy_into(AddressSpace& space, nk::u64 virt, const void* source, nk::usize length) {
    auto* bytes = static_cast<const nk::u8*>(source);
    while (length > 0) {
        nk::u64 in_page = FRAME_SIZE - (virt % FRAME_SIZE);
        nk::u64 chunk = length < in_page ? length : in_page;
        nk::u8* target = TRY(space.kernel_view(virt));
        memcpy(target, bytes, chunk);
        virt += chunk;
        bytes += chunk;
        length -= chunk;
    }
    return {};
}

nk::ErrorOr load_segments(AddressSpace& space, const ElfImage& elf, const nk::u8* image) {
    for (nk::usize i = 0; i < elf.segment_count; ++i) {
        const ElfSegment& segment = elf.segments[i];
        nk::u64 first = nk::align_down(segment.vaddr, FRAME_SIZE);
        nk::u64 end = nk::align_up(segment.vaddr + segment.memsz, FRAME_SIZE);
        nk::u64 pages = (end - first) / FRAME_SIZE;
        // Writable while the bytes are copied in; the final rights are applied below. The
        // frames come zero-filled, which is the .bss part (memsz beyond filesz).
        TRY(space.map_anonymous(first, pages, PageFlags::Write));
        TRY(copy_into(space, segment.vaddr, image + segment.offset, segment.filesz));
        PageFlags final_flags = PageFlags::None;
        if (segment.writable)
            final_flags = final_flags | PageFlags::Write;
        if (segment.executable)
            final_flags = final_flags | PageFlags::Execute;
        TRY(space.protect_region(first, pages, final_flags));
    }
    return {};
}

nk::Result<LoadedProgram> build_stack(AddressSpace& space, const char* const* argv,
                                      nk::usize argc) {
    using namespace nk::abi;
    if (argc > MAX_ARGUMENTS)
        return nk::Error::TooBig;
    constexpr nk::u64 stack_pages = USER_STACK_SIZE / FRAME_SIZE;
    nk::u64 stack_bottom = USER_STACK_TOP - USER_STACK_SIZE;
    // The page below stack_bottom stays unmapped: a guard against overflow.
    TRY(space.map_anonymous(stack_bottom, stack_pages, PageFlags::Write));

    // Strings first, at the top; then, below, the 16-byte aligned vector: argc, argv[], NULL.
    nk::u64 cursor = USER_STACK_TOP;
    nk::u64 pointers[MAX_ARGUMENTS];
    for (nk::usize i = argc; i-- > 0;) {
        nk::usize length = strnlen(argv[i], MAX_ARGUMENT) + 1;
        if (length > MAX_ARGUMENT)
            return nk::Error::TooBig;
        cursor -= length;
        TRY(copy_into(space, cursor, argv[i], length - 1));
        TRY(copy_into(space, cursor + length - 1, "", 1));
        pointers[i] = cursor;
    }
    nk::u64 vector_words = 1 + argc + 1;
    cursor = nk::align_down(cursor - vector_words * 8, 16);
    nk::u64 argc_word = argc;
    TRY(copy_into(space, cursor, &argc_word, 8));
    TRY(copy_into(space, cursor + 8, pointers, argc * 8));
    nk::u64 null_pointer = 0;
    TRY(copy_into(space, cursor + 8 + argc * 8, &null_pointer, 8));
    return LoadedProgram{0, cursor, argc, cursor + 8};
}

} // namespace

nk::Result<LoadedProgram> load_program(AddressSpace& space, const nk::u8* image, nk::usize size,
                                       const char* const* argv, nk::usize argc,
                                       const char** reason) {
    auto parsed = parse_elf_executable(image, size, reason);
    if (parsed.is_error())
        return parsed.error();
    const ElfImage& elf = parsed.value();
    TRY(load_segments(space, elf, image));
    LoadedProgram program = TRY(build_stack(space, argv, argc));
    program.entry = elf.entry;
    return program;
}

} // namespace kernel
