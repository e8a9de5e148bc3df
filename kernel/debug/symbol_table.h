// The kernel's embedded symbol table, used to name functions in panic backtraces.
//
// Blob layout (little endian), made at build time by make_symbol_table.py from `nm` output of the
// first link pass and placed in the .ksyms section by the second:
//   u32 magic 'KSYM'   u32 count   u32 strings_offset   u32 strings_size
//   count x { u64 address, u32 size, u32 name_offset }   sorted by address
//   strings: NUL-terminated demangled names
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace kernel {

constexpr nk::u32 SYMBOL_TABLE_MAGIC = 0x4d59534b; // "KSYM"

struct SymbolLookup {
    const char* name;
    nk::u64 address; // start of the symbol
    nk::u64 offset;  // of the looked-up address from the start
};

class SymbolTable {
public:
    SymbolTable() = default;
    // Validates the blob (magic, bounds, sorted order, terminated strings): Error::Corrupt when
    // anything is off, so a damaged table never sends the panic path reading wild memory.
    static nk::Result<SymbolTable> parse(const void* blob, nk::usize size);

    // The symbol containing `address`: the closest one at or below it, within its size when the
    // size is known (0 means unknown: then any distance up to the next symbol). Error::NoEntry
    // when none applies.
    nk::Result<SymbolLookup> lookup(nk::u64 address) const;
    // Address of the first symbol with exactly this name.
    nk::Result<nk::u64> address_of(const char* name) const;
    nk::u32 count() const { return m_count; }

private:
    struct [[gnu::packed]] Entry {
        nk::u64 address;
        nk::u32 size;
        nk::u32 name_offset;
    };
    const Entry* m_entries = nullptr;
    const char* m_strings = nullptr;
    nk::u32 m_count = 0;
};

} // namespace kernel
