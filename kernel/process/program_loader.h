// Loading a static ELF64 executable into a fresh user address space and building its initial
// stack (argc, argv pointers, NULL, then the strings — the layout userland/lib/crt0.S expects).
#pragma once

#include <kernel/memory/address_space.h>
#include <nk/result.h>
#include <nk/types.h>

namespace kernel {

struct LoadedProgram {
    nk::u64 entry;
    nk::u64 stack_pointer;
    nk::u64 argc;
    nk::u64 argv; // user address of argv[0]
};

// `image` is the whole executable file. On error the address space may hold partial mappings;
// the caller destroys it. Error::BadExec (with `*reason` set) for a malformed file.
nk::Result<LoadedProgram> load_program(AddressSpace& space, const nk::u8* image, nk::usize size,
                                       const char* const* argv, nk::usize argc,
                                       const char** reason);

} // namespace kernel
