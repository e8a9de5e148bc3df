// A 4-level paging entry (PML4E, PDPTE, PDE, PTE). Bit layout: Intel SDM Vol. 3A, 4.5
// ("4-Level Paging"), tables 4-15 to 4-20.
#pragma once

#include <nk/types.h>

namespace x86 {

class PageTableEntry {
public:
    static constexpr nk::u64 Present = 1ull << 0;
    static constexpr nk::u64 Writable = 1ull << 1;
    static constexpr nk::u64 User = 1ull << 2;
    static constexpr nk::u64 WriteThrough = 1ull << 3; // PWT
    static constexpr nk::u64 CacheDisable = 1ull << 4; // PCD
    static constexpr nk::u64 Accessed = 1ull << 5;
    static constexpr nk::u64 Dirty = 1ull << 6;
    static constexpr nk::u64 Huge = 1ull << 7; // PS: 2 MiB page in a PDE, 1 GiB in a PDPTE
    static constexpr nk::u64 Global = 1ull << 8;
    // Bits 9-11 are ignored by the MMU and free for software (SDM 4.5, "Ignored").
    static constexpr nk::u64 SoftShared = 1ull << 9; // subtree is shared: never freed by its user
    static constexpr nk::u64 NoExecute = 1ull << 63;
    // Bits 12..51 hold the physical address (MAXPHYADDR <= 52).
    static constexpr nk::u64 AddressMask = 0x000ffffffffff000ull;

    constexpr PageTableEntry() = default;
    constexpr explicit PageTableEntry(nk::u64 raw) : m_raw(raw) {}
    constexpr PageTableEntry(nk::u64 address, nk::u64 flags)
        : m_raw((address & AddressMask) | flags) {}

    constexpr nk::u64 raw() const { return m_raw; }
    constexpr nk::u64 address() const { return m_raw & AddressMask; }
    constexpr bool has(nk::u64 flag) const { return (m_raw & flag) == flag; }
    constexpr bool is_present() const { return has(Present); }
    constexpr bool is_huge() const { return has(Huge); }
    constexpr void set(nk::u64 flag) { m_raw |= flag; }
    constexpr void clear(nk::u64 flag) { m_raw &= ~flag; }

private:
    nk::u64 m_raw = 0;
};
static_assert(sizeof(PageTableEntry) == 8);

constexpr unsigned ENTRIES_PER_TABLE = 512;
constexpr nk::u64 PAGE_SIZE_4K = 4096;
constexpr nk::u64 PAGE_SIZE_2M = 2ull << 20;
constexpr nk::u64 PAGE_SIZE_1G = 1ull << 30;

} // namespace x86
