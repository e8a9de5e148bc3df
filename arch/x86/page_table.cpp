// 4-level paging engine (Intel SDM Vol. 3A, 4.5). Invariants kept by every operation:
//  - every table page below the PML4 that this table owns maps something (tables that become
//    empty are freed at once), so "present" at an intermediate level means "in use";
//  - intermediate entries this engine creates are Present|Writable, User when a user page lies
//    below, and never NoExecute, so the leaf alone decides the rights (SDM 4.6.1 combines all
//    levels: write needs R/W=1 everywhere, user access needs U/S=1 everywhere, execution needs
//    XD=0 everywhere). Shared PML4 slots are the one exception: their own bits are the point.
#include <arch/x86/page_table.h>

namespace x86 {

using nk::Error;
using nk::ErrorOr;
using nk::Result;
using nk::u64;

namespace {

// Levels are numbered from the leaf up: 0 = page table, 1 = page directory, 2 = PDPT, 3 = PML4.
constexpr unsigned PML4_LEVEL = 3;

// Each level translates 9 bits of the linear address above the 12-bit page offset
// (SDM 4.5.4, figure 4-8: PML4 47:39, PDPT 38:30, PD 29:21, PT 20:12).
constexpr unsigned index_at(VirtAddr virt, unsigned level) {
    return (virt >> (12 + 9 * level)) & (ENTRIES_PER_TABLE - 1);
}

// The bits of a leaf that express PageFlags; protect() replaces exactly these.
constexpr u64 FLAG_BITS = PageTableEntry::Writable | PageTableEntry::User |
                          PageTableEntry::WriteThrough | PageTableEntry::CacheDisable |
                          PageTableEntry::Global | PageTableEntry::NoExecute;

// NoExecute is only valid with IA32_EFER.NXE = 1 (SDM 4.5, tables 4-19/4-20): on a CPU without
// NX bit 63 is reserved and setting it would make every access fault.
bool g_no_execute_available = true;

u64 leaf_bits(PageFlags flags) {
    u64 bits = PageTableEntry::Present;
    if (has_flag(flags, PageFlags::Write))
        bits |= PageTableEntry::Writable;
    if (!has_flag(flags, PageFlags::Execute) && g_no_execute_available)
        bits |= PageTableEntry::NoExecute;
    if (has_flag(flags, PageFlags::User))
        bits |= PageTableEntry::User;
    if (has_flag(flags, PageFlags::Global))
        bits |= PageTableEntry::Global;
    if (has_flag(flags, PageFlags::NoCache))
        bits |= PageTableEntry::CacheDisable;
    if (has_flag(flags, PageFlags::WriteThrough))
        bits |= PageTableEntry::WriteThrough;
    return bits;
}

PageTableEntry* entries_of(FrameSource& frames, PhysAddr table) {
    return static_cast<PageTableEntry*>(frames.phys_to_virt(table));
}

bool is_valid_phys(PhysAddr phys) {
    return (phys & ~PageTableEntry::AddressMask) == 0;
}

bool is_empty(const PageTableEntry* table) {
    for (unsigned i = 0; i < ENTRIES_PER_TABLE; ++i) {
        if (table[i].raw() != 0)
            return false;
    }
    return true;
}

// The entries met on the way from the PML4 to the page mapping one address.
struct Walk {
    PageTableEntry* entries[4] = {}; // entries[level]: the entry for the address at that level
    PhysAddr tables[4] = {};         // the table that holds entries[level]
    int leaf_level = -1;             // the level of the mapping entry, -1 when nothing is mapped
    bool shared = false;             // an entry on the path links a shared subtree
};

Walk walk(FrameSource& frames, PhysAddr root, VirtAddr virt) {
    Walk result;
    PhysAddr table = root;
    for (int level = PML4_LEVEL; level >= 0; --level) {
        PageTableEntry* entry = &entries_of(frames, table)[index_at(virt, level)];
        result.entries[level] = entry;
        result.tables[level] = table;
        if (!entry->is_present())
            return result;
        if (entry->has(PageTableEntry::SoftShared))
            result.shared = true;
        // PS is reserved in a PML4E; in a PDPTE it means a 1 GiB page, in a PDE a 2 MiB page
        // (SDM 4.5.4, tables 4-15 to 4-18).
        if (level == 0 || (level <= 2 && entry->is_huge())) {
            result.leaf_level = level;
            return result;
        }
        table = entry->address();
    }
    return result;
}

// The translation the MMU would make for `virt`: rights are the combination over all levels
// (SDM 4.6.1), caching and global come from the leaf. The walk must have found a 4K or 2M leaf.
Translation translation_of(const Walk& found, VirtAddr virt) {
    bool writable = true;
    bool user = true;
    bool executable = true;
    for (int level = PML4_LEVEL; level >= found.leaf_level; --level) {
        const PageTableEntry& entry = *found.entries[level];
        writable = writable && entry.has(PageTableEntry::Writable);
        user = user && entry.has(PageTableEntry::User);
        executable = executable && !entry.has(PageTableEntry::NoExecute);
    }
    const PageTableEntry& leaf = *found.entries[found.leaf_level];
    PageSize size = found.leaf_level == 1 ? PageSize::Size2M : PageSize::Size4K;
    u64 bytes = page_size_bytes(size);
    // Bit 12 of a 2 MiB PDE is PAT, not address (SDM table 4-18), hence the wider mask.
    PhysAddr base = nk::align_down(leaf.address(), bytes);

    PageFlags flags = PageFlags::None;
    if (writable)
        flags = flags | PageFlags::Write;
    if (executable)
        flags = flags | PageFlags::Execute;
    if (user)
        flags = flags | PageFlags::User;
    if (leaf.has(PageTableEntry::Global))
        flags = flags | PageFlags::Global;
    if (leaf.has(PageTableEntry::CacheDisable))
        flags = flags | PageFlags::NoCache;
    if (leaf.has(PageTableEntry::WriteThrough))
        flags = flags | PageFlags::WriteThrough;
    return Translation{base + (virt & (bytes - 1)), flags, size};
}

} // namespace

Result<PageTable> PageTable::create(FrameSource& frames) {
    PhysAddr root = TRY(frames.allocate_frame());
    return PageTable(frames, root);
}

PageTable::PageTable(PageTable&& other)
    : m_frames(other.m_frames), m_root(other.m_root), m_table_pages(other.m_table_pages) {
    other.m_root = 0;
    other.m_table_pages = 0;
}

PageTable::~PageTable() {
    destroy();
}

PageTableEntry* PageTable::table_at(PhysAddr phys) const {
    return entries_of(*m_frames, phys);
}

Result<PhysAddr> PageTable::allocate_table() {
    PhysAddr table = TRY(m_frames->allocate_frame());
    ++m_table_pages;
    return table;
}

void PageTable::free_table(PhysAddr table) {
    m_frames->free_frame(table);
    --m_table_pages;
}

ErrorOr PageTable::map(VirtAddr virt, PhysAddr phys, PageFlags flags, PageSize size) {
    u64 bytes = page_size_bytes(size);
    if (m_root == 0 || !is_canonical(virt) || !nk::is_aligned(virt, bytes) ||
        !nk::is_aligned(phys, bytes) || !is_valid_phys(phys))
        return Error::Invalid;

    unsigned leaf_level = size == PageSize::Size2M ? 1 : 0;
    bool user = has_flag(flags, PageFlags::User);
    u64 intermediate =
        PageTableEntry::Present | PageTableEntry::Writable | (user ? PageTableEntry::User : 0);

    // Tables created by this call, so that an allocation failure can take them back.
    PageTableEntry* first_new_link = nullptr;
    PhysAddr created[PML4_LEVEL] = {};
    unsigned created_count = 0;

    PhysAddr table = m_root;
    for (unsigned level = PML4_LEVEL; level > leaf_level; --level) {
        PageTableEntry& entry = table_at(table)[index_at(virt, level)];
        if (entry.is_present()) {
            if (entry.has(PageTableEntry::SoftShared))
                return Error::NotPermitted;
            // A larger page already covers the range.
            if (entry.is_huge())
                return Error::Exists;
            if (user)
                entry.set(PageTableEntry::User);
        } else {
            auto new_table = allocate_table();
            if (new_table.is_error()) {
                // The new tables hold nothing but the links between themselves; unhook the
                // chain from the table that existed before and give it back.
                if (first_new_link)
                    *first_new_link = PageTableEntry();
                for (unsigned i = 0; i < created_count; ++i)
                    free_table(created[i]);
                return new_table.error();
            }
            entry = PageTableEntry(new_table.value(), intermediate);
            if (!first_new_link)
                first_new_link = &entry;
            created[created_count++] = new_table.value();
        }
        table = entry.address();
    }

    PageTableEntry& leaf = table_at(table)[index_at(virt, leaf_level)];
    // Present here means a page of the same size, or (for a 2 MiB request) a page table with
    // 4 KiB pages in it: empty tables never stay linked. A fresh table is empty, so nothing was
    // created on this path and there is nothing to undo.
    if (leaf.is_present())
        return Error::Exists;
    u64 bits = leaf_bits(flags) | (size == PageSize::Size2M ? PageTableEntry::Huge : 0);
    leaf = PageTableEntry(phys, bits);
    return {};
}

ErrorOr PageTable::map_range(VirtAddr virt, PhysAddr phys, u64 length, PageFlags flags,
                             bool allow_large) {
    if (length == 0)
        return {};
    VirtAddr last_virt = virt + length - 1;
    PhysAddr last_phys = phys + length - 1;
    // The range must not wrap and must stay inside one canonical half: both halves' ends are
    // canonical, so a range spanning them would cross the non-canonical hole.
    if (!nk::is_aligned(virt, PAGE_SIZE_4K) || !nk::is_aligned(phys, PAGE_SIZE_4K) ||
        !nk::is_aligned(length, PAGE_SIZE_4K) || last_virt < virt || last_phys < phys ||
        !is_canonical(virt) || !is_canonical(last_virt) || (virt >> 47) != (last_virt >> 47) ||
        !is_valid_phys(nk::align_down(last_phys, PAGE_SIZE_4K)))
        return Error::Invalid;

    u64 done = 0;
    while (done < length) {
        VirtAddr v = virt + done;
        PhysAddr p = phys + done;
        PageSize size = PageSize::Size4K;
        if (allow_large && nk::is_aligned(v, PAGE_SIZE_2M) && nk::is_aligned(p, PAGE_SIZE_2M) &&
            length - done >= PAGE_SIZE_2M)
            size = PageSize::Size2M;
        auto mapped = map(v, p, flags, size);
        if (mapped.is_error()) {
            // Undo what this call mapped, page by page as it was mapped; unmap also frees the
            // tables that become empty.
            u64 undone = 0;
            while (undone < done) {
                Translation removed = MUST(unmap(virt + undone));
                undone += page_size_bytes(removed.size);
            }
            return mapped.error();
        }
        done += page_size_bytes(size);
    }
    return {};
}

Result<Translation> PageTable::unmap(VirtAddr virt) {
    if (m_root == 0 || !is_canonical(virt))
        return Error::Invalid;
    Walk found = walk(*m_frames, m_root, virt);
    if (found.shared)
        return Error::NotPermitted;
    if (found.leaf_level < 0)
        return Error::NoEntry;
    // 1 GiB pages are never made by this engine and Translation cannot describe them.
    if (found.leaf_level == 2)
        return Error::NotSupported;

    Translation removed = translation_of(found, virt);
    *found.entries[found.leaf_level] = PageTableEntry();
    // Free tables that became empty, bottom up; the PML4 stays.
    for (unsigned level = found.leaf_level; level < PML4_LEVEL; ++level) {
        PhysAddr table = found.tables[level];
        if (!is_empty(table_at(table)))
            break;
        *found.entries[level + 1] = PageTableEntry();
        free_table(table);
    }
    return removed;
}

ErrorOr PageTable::protect(VirtAddr virt, PageFlags flags) {
    if (m_root == 0 || !is_canonical(virt))
        return Error::Invalid;
    Walk found = walk(*m_frames, m_root, virt);
    if (found.shared)
        return Error::NotPermitted;
    if (found.leaf_level < 0)
        return Error::NoEntry;
    if (found.leaf_level == 2)
        return Error::NotSupported;

    // Keep the address, the page size and the accessed/dirty state; replace the rights.
    PageTableEntry& leaf = *found.entries[found.leaf_level];
    u64 bits = leaf_bits(flags) & FLAG_BITS;
    leaf = PageTableEntry((leaf.raw() & ~FLAG_BITS) | bits);
    // A user page needs U/S=1 at every level above it (SDM 4.6.1).
    if (has_flag(flags, PageFlags::User)) {
        for (unsigned level = found.leaf_level + 1; level <= PML4_LEVEL; ++level)
            found.entries[level]->set(PageTableEntry::User);
    }
    return {};
}

Result<Translation> PageTable::translate(VirtAddr virt) const {
    if (m_root == 0 || !is_canonical(virt))
        return Error::Invalid;
    Walk found = walk(*m_frames, m_root, virt);
    if (found.leaf_level < 0)
        return Error::NoEntry;
    if (found.leaf_level == 2)
        return Error::NotSupported;
    return translation_of(found, virt);
}

ErrorOr PageTable::share_pml4_slot(unsigned index, PhysAddr pdpt, bool writable, bool user) {
    if (index >= ENTRIES_PER_TABLE)
        return Error::Invalid;
    // The slot's first address, sign-extended into the canonical upper half for slots >= 256.
    VirtAddr virt = VirtAddr(index) << 39;
    if (index >= ENTRIES_PER_TABLE / 2)
        virt |= 0xffff000000000000ull;
    return share_subtree(virt, PML4_LEVEL, pdpt, writable, user);
}

ErrorOr PageTable::share_subtree(VirtAddr virt, unsigned level, PhysAddr table, bool writable,
                                 bool user) {
    // A shared link replaces a PML4E (level 3, 512 GiB) or a PDPTE (level 2, 1 GiB).
    if (m_root == 0 || level < 2 || level > PML4_LEVEL || !is_canonical(virt) ||
        !nk::is_aligned(virt, 1ull << (12 + 9 * level)) || !nk::is_aligned(table, PAGE_SIZE_4K) ||
        !is_valid_phys(table))
        return Error::Invalid;
    // Walk down to the table holding the link, creating owned intermediate tables on the way.
    PhysAddr current = m_root;
    for (unsigned walk_level = PML4_LEVEL; walk_level > level; --walk_level) {
        PageTableEntry& entry = table_at(current)[index_at(virt, walk_level)];
        if (!entry.is_present()) {
            PhysAddr created = TRY(allocate_table());
            entry = PageTableEntry(created, PageTableEntry::Present | PageTableEntry::Writable |
                                                (user ? PageTableEntry::User : 0));
        } else if (entry.has(PageTableEntry::SoftShared) || entry.is_huge()) {
            return Error::Exists;
        }
        current = entry.address();
    }
    PageTableEntry& link = table_at(current)[index_at(virt, level)];
    if (link.is_present())
        return Error::Exists;
    // No NoExecute here: execute rights stay with the owner's leaves. R/W and U/S restrict the
    // whole range below the link (SDM 4.6.1).
    u64 bits = PageTableEntry::Present | PageTableEntry::SoftShared |
               (writable ? PageTableEntry::Writable : 0) | (user ? PageTableEntry::User : 0);
    link = PageTableEntry(table, bits);
    return {};
}

void PageTable::free_subtree(PhysAddr table, unsigned level) {
    // Entries of a page table (level 0) map pages, and so do huge PDEs and PDPTEs.
    if (level > 0) {
        PageTableEntry* entries = table_at(table);
        for (unsigned i = 0; i < ENTRIES_PER_TABLE; ++i) {
            const PageTableEntry& entry = entries[i];
            if (!entry.is_present() || entry.has(PageTableEntry::SoftShared))
                continue;
            if (level <= 2 && entry.is_huge())
                continue;
            free_subtree(entry.address(), level - 1);
        }
    }
    free_table(table);
}

void PageTable::destroy() {
    if (m_root == 0)
        return;
    free_subtree(m_root, PML4_LEVEL);
    m_root = 0;
    m_table_pages = 0;
}

void PageTable::set_no_execute_available(bool available) {
    g_no_execute_available = available;
}

} // namespace x86
