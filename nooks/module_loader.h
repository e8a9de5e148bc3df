// Loads an extension module — an ELF64 relocatable object (ET_REL, from `g++ -c -mcmodel=kernel
// -fno-pic` or `ld -r`) — into memory the caller provides, binding its imports to addresses the
// caller chooses: the real kernel functions when the module runs natively, wrappers when it runs
// isolated (Nooks §4.1). The file is untrusted: every offset, size, index and string is checked
// with overflow-safe arithmetic before use, and nothing outside [file, file + size) is read.
//
// Image layout, each group starting on a page boundary so the caller can map it with its own
// rights:
//   text      SHF_EXECINSTR sections                     map RX
//   rodata    other sections without SHF_WRITE           map R
//   data      SHF_WRITE sections, then SHT_NOBITS ones   map RW (bss zeroed)
//   metadata  the loader's section list, symbol table and names, so that find_symbol() and
//             symbolize() work after the file is gone and unloading frees everything at once.
//             Kernel bookkeeping: map it read-only (or not at all) in an extension's domain.
// Loaded: SHF_ALLOC sections except notes and unwind tables (.note*, .eh_frame,
// SHT_X86_64_UNWIND); relocations for sections that are not loaded are skipped.
// Relocations: SHT_RELA with R_X86_64_{NONE,64,PC64,PC32,PLT32,32,32S}; a 32-bit field whose
// value does not fit is an error (modules and kernel share the top 2 GiB, so it only happens
// with a wrong import address). Refused: SHT_REL, SHN_COMMON symbols (build with -fno-common),
// TLS, writable+executable sections, extended section numbering.
#pragma once

#include <nk/result.h>
#include <nk/span.h>
#include <nk/types.h>

namespace nooks {

constexpr nk::u64 MODULE_PAGE_SIZE = 4096;

// The memory a module image lives in.
struct ModuleMemory {
    nk::u64 address;  // where the module's code runs and its relocations point
    nk::u8* writable; // the kernel's writable view of the same bytes (may be a different address)
};

// The caller's side of loading: where the image goes and what the imports resolve to.
class ModuleEnvironment {
public:
    // Memory for the whole image: `size` bytes (a multiple of MODULE_PAGE_SIZE), `address`
    // aligned to `alignment` (a power of two, at least MODULE_PAGE_SIZE). Its contents need not
    // be zeroed; the loader writes every byte.
    virtual nk::Result<ModuleMemory> allocate_image(nk::usize size, nk::usize alignment) = 0;
    // Gives back what allocate_image returned when loading fails after allocating.
    virtual void free_image(const ModuleMemory& memory, nk::usize size) = 0;
    // The address an undefined symbol binds to; Error::NoEntry if it is not exported to modules.
    // Called once per relocation, so it must give the same answer for the same name.
    virtual nk::Result<nk::u64> resolve_import(const char* name) = 0;

protected:
    ~ModuleEnvironment() = default;
};

// A page-aligned part of the image; size 0 when the module has nothing of that kind.
struct ModuleRange {
    nk::u64 address;
    nk::u64 size;
};

// A loaded section; `name` points into the image's metadata.
struct ModuleSection {
    const char* name;
    nk::u64 address;
    nk::u64 size;
    bool writable;
    bool executable;
};

// A symbol defined by the module (functions and objects, local ones too, for symbolizing).
struct ModuleSymbol {
    const char* name;
    nk::u64 address;
    nk::u64 size; // 0 when unknown
    bool global;  // STB_GLOBAL or STB_WEAK: visible to find_symbol()
    bool function;
};

struct ModuleSymbolLookup {
    const char* name;
    nk::u64 address; // start of the symbol
    nk::u64 offset;  // of the looked-up address from the start
};

struct LoadedModule {
    ModuleMemory memory; // memory.address is the image base
    nk::u64 size;        // of the whole image, a multiple of MODULE_PAGE_SIZE
    nk::u64 alignment;   // as asked of allocate_image
    ModuleRange text;
    ModuleRange rodata;
    ModuleRange data; // data and bss
    ModuleRange metadata;
    const ModuleSection* section_table; // inside metadata, kernel view
    nk::usize section_count;
    const ModuleSymbol* symbol_table; // inside metadata, kernel view
    nk::usize symbol_count;

    nk::u64 base() const { return memory.address; }
    nk::Span<const ModuleSection> sections() const { return {section_table, section_count}; }
    nk::Span<const ModuleSymbol> symbols() const { return {symbol_table, symbol_count}; }
    // True for addresses of the module's text, rodata, data or bss.
    bool contains(nk::u64 address) const;
    // A global (or weak) symbol the module defines, e.g. "nooks_module_info"; Error::NoEntry
    // otherwise.
    nk::Result<nk::u64> find_symbol(const char* name) const;
    // The symbol containing `address`: the closest one at or below it, within its size when the
    // size is known. Error::NoEntry when none applies.
    nk::Result<ModuleSymbolLookup> lookup(nk::u64 address) const;
    // Writes "name+0x1f" (truncated to fit, always terminated when buffer_size > 0); false, with
    // nothing written, when lookup() finds nothing.
    bool symbolize(nk::u64 address, char* buffer, nk::usize buffer_size) const;
};

// Why loading failed, in words, e.g. "unknown symbol 'foo'".
struct LoadProblem {
    char message[160];
};

// Errors: Error::BadExec (not an x86-64 relocatable object), Error::Corrupt (malformed),
// Error::NotSupported (a feature the loader does not handle, e.g. a relocation type),
// Error::NoEntry (an undefined symbol the environment does not know, unless it is weak: then it
// binds to 0), Error::Range (a relocated value does not fit its field), Error::TooBig, and
// whatever the environment returns. On error, `problem` (when not null) says what went wrong and
// any image memory has been freed.
nk::Result<LoadedModule> load_module(const nk::u8* file, nk::usize size, ModuleEnvironment& env,
                                     LoadProblem* problem = nullptr);

} // namespace nooks
