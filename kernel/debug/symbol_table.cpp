#include <kernel/debug/symbol_table.h>

namespace kernel {

namespace {

struct [[gnu::packed]] Header {
    nk::u32 magic;
    nk::u32 count;
    nk::u32 strings_offset;
    nk::u32 strings_size;
};

bool names_equal(const char* a, const char* b) {
    while (*a && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

} // namespace

nk::Result<SymbolTable> SymbolTable::parse(const void* blob, nk::usize size) {
    if (!blob || size < sizeof(Header))
        return nk::Error::Corrupt;
    auto* bytes = static_cast<const nk::u8*>(blob);
    Header header;
    __builtin_memcpy(&header, bytes, sizeof header);
    if (header.magic != SYMBOL_TABLE_MAGIC)
        return nk::Error::Corrupt;
    nk::u64 entries_end = sizeof(Header) + nk::u64(header.count) * sizeof(Entry);
    if (entries_end > size || header.strings_offset < entries_end ||
        nk::u64(header.strings_offset) + header.strings_size > size)
        return nk::Error::Corrupt;
    if (header.count > 0 && header.strings_size == 0)
        return nk::Error::Corrupt;

    SymbolTable table;
    table.m_entries = reinterpret_cast<const Entry*>(bytes + sizeof(Header));
    table.m_strings = reinterpret_cast<const char*>(bytes + header.strings_offset);
    table.m_count = header.count;
    // The string area must end in a NUL so that every name offset inside it is terminated.
    if (header.strings_size > 0 && table.m_strings[header.strings_size - 1] != 0)
        return nk::Error::Corrupt;
    for (nk::u32 i = 0; i < header.count; ++i) {
        if (table.m_entries[i].name_offset >= header.strings_size)
            return nk::Error::Corrupt;
        if (i > 0 && table.m_entries[i].address < table.m_entries[i - 1].address)
            return nk::Error::Corrupt;
    }
    return table;
}

nk::Result<SymbolLookup> SymbolTable::lookup(nk::u64 address) const {
    // Binary search for the last entry whose address is <= the one asked about.
    nk::u32 low = 0, high = m_count;
    while (low < high) {
        nk::u32 middle = low + (high - low) / 2;
        if (m_entries[middle].address <= address)
            low = middle + 1;
        else
            high = middle;
    }
    if (low == 0)
        return nk::Error::NoEntry;
    const Entry& entry = m_entries[low - 1];
    nk::u64 offset = address - entry.address;
    if (entry.size != 0 && offset >= entry.size)
        return nk::Error::NoEntry;
    return SymbolLookup{m_strings + entry.name_offset, entry.address, offset};
}

nk::Result<nk::u64> SymbolTable::address_of(const char* name) const {
    for (nk::u32 i = 0; i < m_count; ++i) {
        if (names_equal(m_strings + m_entries[i].name_offset, name))
            return m_entries[i].address;
    }
    return nk::Error::NoEntry;
}

} // namespace kernel
