#include <catch2/catch.hpp>

#include <arch/x86/page_table.h>

#include <cstring>
#include <vector>

using nk::Error;
using nk::u64;
using x86::PageFlags;
using x86::PageSize;
using x86::PageTable;
using x86::PageTableEntry;
using x86::PhysAddr;

namespace {

constexpr u64 FRAME = 4096;
constexpr u64 FIRST_FRAME = 0x1000;
constexpr u64 MIB2 = 2 * nk::MiB;

// Fake physical memory: frame i lives at physical address FIRST_FRAME + i * 4096. It can refuse
// allocations after a budget runs out, counts live frames and catches bad frees.
class FakeFrames final : public x86::FrameSource {
public:
    explicit FakeFrames(size_t count) : m_memory(count * 512), m_used(count, false) {}

    nk::Result<PhysAddr> allocate_frame() override {
        if (m_budget == 0)
            return Error::NoMemory;
        for (size_t i = 0; i < m_used.size(); ++i) {
            if (m_used[i])
                continue;
            m_used[i] = true;
            std::memset(frame(i), 0, FRAME);
            ++m_live;
            if (m_budget > 0)
                --m_budget;
            return FIRST_FRAME + i * FRAME;
        }
        return Error::NoMemory;
    }

    void free_frame(PhysAddr address) override {
        size_t i = index_of(address);
        if (i >= m_used.size() || !m_used[i]) {
            ++m_bad_frees;
            return;
        }
        m_used[i] = false;
        --m_live;
        // Poison, so that a table used after being freed shows up as garbage.
        std::memset(frame(i), 0xcc, FRAME);
    }

    void* phys_to_virt(PhysAddr address) override {
        size_t i = index_of(address);
        REQUIRE(i < m_used.size());
        REQUIRE(m_used[i]);
        return frame(i);
    }

    // Allow `count` more allocations, then fail; -1 for no limit.
    void fail_after(long count) { m_budget = count; }
    size_t live() const { return m_live; }
    size_t bad_frees() const { return m_bad_frees; }
    bool is_used(PhysAddr address) const { return m_used.at(index_of(address)); }

    // The raw entry `index` of the table at `table`.
    u64 entry(PhysAddr table, unsigned index) {
        return static_cast<PageTableEntry*>(phys_to_virt(table))[index].raw();
    }

private:
    static size_t index_of(PhysAddr address) {
        REQUIRE(address % FRAME == 0);
        REQUIRE(address >= FIRST_FRAME);
        return (address - FIRST_FRAME) / FRAME;
    }
    u64* frame(size_t i) { return &m_memory[i * 512]; }

    std::vector<u64> m_memory;
    std::vector<bool> m_used;
    size_t m_live = 0;
    size_t m_bad_frees = 0;
    long m_budget = -1;
};

PageTable make_table(FakeFrames& frames) {
    auto table = PageTable::create(frames);
    REQUIRE(table.has_value());
    return table.release_value();
}

unsigned index_at(u64 virt, unsigned level) {
    return (virt >> (12 + 9 * level)) & 511;
}

// Raw entries from the PML4 down to the leaf (4 for a 4K page, 3 for a 2M page).
std::vector<u64> raw_path(FakeFrames& frames, const PageTable& table, u64 virt) {
    std::vector<u64> path;
    PhysAddr current = table.root();
    for (int level = 3; level >= 0; --level) {
        u64 raw = frames.entry(current, index_at(virt, level));
        path.push_back(raw);
        if (!(raw & PageTableEntry::Present) || (level < 3 && (raw & PageTableEntry::Huge)))
            break;
        current = raw & PageTableEntry::AddressMask;
    }
    return path;
}

bool has(u64 raw, u64 bit) {
    return (raw & bit) == bit;
}

} // namespace

TEST_CASE("a new page table owns only its PML4", "[paging]") {
    FakeFrames frames(16);
    {
        PageTable table = make_table(frames);
        CHECK(table.table_pages() == 1);
        CHECK(frames.live() == 1);
        CHECK(table.root() != 0);
        CHECK(table.translate(0x1000).error() == Error::NoEntry);
    }
    CHECK(frames.live() == 0);
    CHECK(frames.bad_frees() == 0);
}

TEST_CASE("create reports an allocation failure", "[paging]") {
    FakeFrames frames(4);
    frames.fail_after(0);
    auto table = PageTable::create(frames);
    REQUIRE(table.is_error());
    CHECK(table.error() == Error::NoMemory);
    CHECK(frames.live() == 0);
}

TEST_CASE("4 KiB mappings translate and set the bits at every level", "[paging]") {
    FakeFrames frames(32);
    PageTable table = make_table(frames);

    u64 kernel_virt = 0x40201000;
    REQUIRE(table.map(kernel_virt, 0x5000, PageFlags::Write | PageFlags::Global).has_value());
    CHECK(table.table_pages() == 4);
    CHECK(frames.live() == 4);

    auto t = table.translate(kernel_virt + 0x123);
    REQUIRE(t.has_value());
    CHECK(t.value().phys == 0x5123);
    CHECK(t.value().size == PageSize::Size4K);
    CHECK(t.value().flags == (PageFlags::Write | PageFlags::Global));

    auto path = raw_path(frames, table, kernel_virt);
    REQUIRE(path.size() == 4);
    for (int i = 0; i < 3; ++i) {
        CHECK(has(path[i], PageTableEntry::Present | PageTableEntry::Writable));
        CHECK_FALSE(has(path[i], PageTableEntry::User));
        CHECK_FALSE(has(path[i], PageTableEntry::NoExecute));
        CHECK_FALSE(has(path[i], PageTableEntry::Huge));
    }
    u64 leaf = path[3];
    CHECK((leaf & PageTableEntry::AddressMask) == 0x5000);
    CHECK(has(leaf, PageTableEntry::Present | PageTableEntry::Writable | PageTableEntry::Global |
                        PageTableEntry::NoExecute));
    CHECK_FALSE(has(leaf, PageTableEntry::User));

    // A user, read-only, executable, uncached page: the user bit reaches every level.
    u64 user_virt = 0x0000700000000000;
    REQUIRE(table
                .map(user_virt, 0x9000,
                     PageFlags::User | PageFlags::Execute | PageFlags::NoCache |
                         PageFlags::WriteThrough)
                .has_value());
    path = raw_path(frames, table, user_virt);
    REQUIRE(path.size() == 4);
    for (int i = 0; i < 3; ++i) {
        CHECK(has(path[i],
                  PageTableEntry::Present | PageTableEntry::Writable | PageTableEntry::User));
        CHECK_FALSE(has(path[i], PageTableEntry::NoExecute));
    }
    CHECK(has(path[3],
              PageTableEntry::User | PageTableEntry::CacheDisable | PageTableEntry::WriteThrough));
    CHECK_FALSE(has(path[3], PageTableEntry::Writable));
    CHECK_FALSE(has(path[3], PageTableEntry::NoExecute));
    CHECK_FALSE(has(path[3], PageTableEntry::Global));
    auto user_t = table.translate(user_virt + 4095);
    REQUIRE(user_t.has_value());
    CHECK(user_t.value().phys == 0x9fff);
    CHECK(user_t.value().flags ==
          (PageFlags::User | PageFlags::Execute | PageFlags::NoCache | PageFlags::WriteThrough));

    // A user page below a kernel page's existing tables upgrades them to user.
    REQUIRE(table.map(kernel_virt + FRAME, 0x6000, PageFlags::User).has_value());
    path = raw_path(frames, table, kernel_virt);
    for (int i = 0; i < 3; ++i)
        CHECK(has(path[i], PageTableEntry::User));
    // The kernel page itself stays supervisor-only: the leaf decides.
    CHECK((table.translate(kernel_virt).value().flags & PageFlags::User) == PageFlags::None);
    CHECK(table.table_pages() == 7);
}

TEST_CASE("2 MiB mappings translate and use a huge PDE", "[paging]") {
    FakeFrames frames(16);
    PageTable table = make_table(frames);
    u64 virt = 0xffffffff80000000; // PML4 slot 511, the kernel's usual place
    REQUIRE(table.map(virt, 0x40000000, PageFlags::Write | PageFlags::Execute, PageSize::Size2M)
                .has_value());
    CHECK(table.table_pages() == 3);

    auto t = table.translate(virt + 0x1abcde);
    REQUIRE(t.has_value());
    CHECK(t.value().phys == 0x401abcde);
    CHECK(t.value().size == PageSize::Size2M);
    CHECK(t.value().flags == (PageFlags::Write | PageFlags::Execute));

    auto path = raw_path(frames, table, virt);
    REQUIRE(path.size() == 3);
    CHECK(index_at(virt, 3) == 511);
    CHECK(has(path[2], PageTableEntry::Present | PageTableEntry::Huge | PageTableEntry::Writable));
    CHECK_FALSE(has(path[2], PageTableEntry::NoExecute));
    CHECK((path[2] & PageTableEntry::AddressMask) == 0x40000000);
}

TEST_CASE("map refuses overlaps, misalignment and non-canonical addresses", "[paging]") {
    FakeFrames frames(32);
    PageTable table = make_table(frames);

    REQUIRE(table.map(0x200000, 0x200000, PageFlags::Write, PageSize::Size2M).has_value());
    REQUIRE(table.map(0x600000, 0x1000, PageFlags::Write).has_value());
    u64 pages = table.table_pages();

    // The same 4 KiB page again.
    CHECK(table.map(0x600000, 0x2000, PageFlags::None).error() == Error::Exists);
    // A 4 KiB page inside a 2 MiB page.
    CHECK(table.map(0x201000, 0x2000, PageFlags::None).error() == Error::Exists);
    // The same 2 MiB page again.
    CHECK(table.map(0x200000, 0x0, PageFlags::None, PageSize::Size2M).error() == Error::Exists);
    // A 2 MiB page over a page table with a 4 KiB page in it.
    CHECK(table.map(0x600000, 0x0, PageFlags::None, PageSize::Size2M).error() == Error::Exists);

    CHECK(table.map(0x1001, 0x1000, PageFlags::None).error() == Error::Invalid);
    CHECK(table.map(0x1000, 0x1001, PageFlags::None).error() == Error::Invalid);
    CHECK(table.map(0x1000, 0x0, PageFlags::None, PageSize::Size2M).error() == Error::Invalid);
    CHECK(table.map(0x400000, 0x1000, PageFlags::None, PageSize::Size2M).error() == Error::Invalid);
    // Beyond the 52-bit physical address space.
    CHECK(table.map(0x1000, 1ull << 52, PageFlags::None).error() == Error::Invalid);
    // Bits 63..47 not all equal.
    CHECK(table.map(0x0000800000000000, 0x1000, PageFlags::None).error() == Error::Invalid);
    CHECK(table.map(0xffff7ffffffff000, 0x1000, PageFlags::None).error() == Error::Invalid);
    CHECK(table.translate(0x0000800000000000).error() == Error::Invalid);
    CHECK(table.unmap(0x0000800000000000).error() == Error::Invalid);
    CHECK(table.protect(0x0000800000000000, PageFlags::None).error() == Error::Invalid);

    CHECK(table.table_pages() == pages);
    CHECK(frames.live() == pages);
    // The lowest upper-half address is canonical.
    CHECK(table.map(0xffff800000000000, 0x1000, PageFlags::None).has_value());
}

TEST_CASE("unmap returns the translation and frees emptied tables", "[paging]") {
    FakeFrames frames(32);
    PageTable table = make_table(frames);

    REQUIRE(table.map(0x1000, 0xa000, PageFlags::Write).has_value());
    REQUIRE(table.map(0x2000, 0xb000, PageFlags::None).has_value());
    REQUIRE(table.map(0x40000000, 0x200000, PageFlags::None, PageSize::Size2M).has_value());
    CHECK(table.table_pages() == 5);

    auto removed = table.unmap(0x1fff);
    REQUIRE(removed.has_value());
    CHECK(removed.value().phys == 0xafff);
    CHECK(removed.value().flags == PageFlags::Write);
    CHECK(removed.value().size == PageSize::Size4K);
    CHECK(table.unmap(0x1000).error() == Error::NoEntry);
    // The page table still maps 0x2000.
    CHECK(table.table_pages() == 5);
    CHECK(table.translate(0x2000).value().phys == 0xb000);

    REQUIRE(table.unmap(0x2000).has_value());
    // Its page table and page directory went; the PDPT still holds the 2 MiB page's directory.
    CHECK(table.table_pages() == 3);

    auto removed_large = table.unmap(0x40000000 + 0x12345);
    REQUIRE(removed_large.has_value());
    CHECK(removed_large.value().size == PageSize::Size2M);
    CHECK(removed_large.value().phys == 0x212345);
    CHECK(table.table_pages() == 1);
    CHECK(frames.live() == 1);
    CHECK(frames.entry(table.root(), 0) == 0);
    CHECK(table.unmap(0x40000000).error() == Error::NoEntry);
    CHECK(frames.bad_frees() == 0);
}

TEST_CASE("a failed map leaves no mapping and no new tables", "[paging]") {
    FakeFrames frames(32);
    PageTable table = make_table(frames);
    REQUIRE(table.map(0x1000, 0x1000, PageFlags::None).has_value());
    size_t before = frames.live();

    // A fresh PML4 slot needs PDPT, PD and PT: fail at each step.
    for (long budget = 0; budget < 3; ++budget) {
        frames.fail_after(budget);
        CHECK(table.map(0x0000008000000000, 0x2000, PageFlags::None).error() == Error::NoMemory);
        CHECK(frames.live() == before);
        CHECK(table.table_pages() == before);
        CHECK(table.translate(0x0000008000000000).error() == Error::NoEntry);
        CHECK(frames.entry(table.root(), 1) == 0);
    }
    // Reusing the PDPT of slot 0, but a fresh PD and PT.
    frames.fail_after(1);
    CHECK(table.map(0x40000000, 0x2000, PageFlags::None).error() == Error::NoMemory);
    CHECK(frames.live() == before);
    CHECK(table.translate(0x1000).value().phys == 0x1000);
    frames.fail_after(-1);
    CHECK(table.map(0x0000008000000000, 0x2000, PageFlags::None).has_value());
    CHECK(frames.bad_frees() == 0);
}

TEST_CASE("map_range uses 2 MiB pages where it can", "[paging]") {
    FakeFrames frames(64);
    PageTable table = make_table(frames);

    // One 4 KiB page up to the 2 MiB boundary, one 2 MiB page, one 4 KiB page after it.
    u64 virt = MIB2 - FRAME;
    u64 phys = 0x10000000 - FRAME;
    REQUIRE(table.map_range(virt, phys, MIB2 + 2 * FRAME, PageFlags::Write).has_value());
    CHECK(table.translate(virt).value().size == PageSize::Size4K);
    CHECK(table.translate(virt).value().phys == phys);
    CHECK(table.translate(MIB2).value().size == PageSize::Size2M);
    CHECK(table.translate(MIB2 + 0x1234).value().phys == 0x10001234);
    CHECK(table.translate(2 * MIB2).value().size == PageSize::Size4K);
    CHECK(table.translate(2 * MIB2).value().phys == 0x10000000 + MIB2);
    CHECK(table.translate(2 * MIB2 + FRAME).error() == Error::NoEntry);

    // Not when large pages are off, and not when the physical side is misaligned.
    REQUIRE(table.map_range(0x40000000, 0x40000000, MIB2, PageFlags::None, false).has_value());
    CHECK(table.translate(0x40000000).value().size == PageSize::Size4K);
    CHECK(table.translate(0x40000000 + MIB2 - 1).value().phys == 0x40000000 + MIB2 - 1);
    REQUIRE(table.map_range(0x80000000, 0x1000, MIB2, PageFlags::None).has_value());
    CHECK(table.translate(0x80000000).value().size == PageSize::Size4K);

    CHECK(table.map_range(0xc0000000, 0x1000, 0x1800, PageFlags::None).error() == Error::Invalid);
    CHECK(table.map_range(0xc0000800, 0x1000, 0x1000, PageFlags::None).error() == Error::Invalid);
    // Running from the lower half into the non-canonical hole.
    CHECK(table.map_range(0x00007ffffffff000, 0x1000, 0x2000, PageFlags::None).error() ==
          Error::Invalid);
    CHECK(table.map_range(0xfffffffffffff000, 0x1000, 0x2000, PageFlags::None).error() ==
          Error::Invalid);
    CHECK(table.map_range(0xc0000000, 0x1000, 0, PageFlags::None).has_value());
}

TEST_CASE("map_range rolls back on allocation failure", "[paging]") {
    // Four pages across a 1 GiB boundary: the second half needs a new PD and PT.
    u64 virt = 0x40000000 - 2 * FRAME;
    u64 length = 4 * FRAME;
    for (long budget = 0; budget < 5; ++budget) {
        FakeFrames frames(32);
        {
            PageTable table = make_table(frames);
            frames.fail_after(budget);
            CAPTURE(budget);
            CHECK(table.map_range(virt, 0x100000, length, PageFlags::Write).error() ==
                  Error::NoMemory);
            for (u64 offset = 0; offset < length; offset += FRAME)
                CHECK(table.translate(virt + offset).error() == Error::NoEntry);
            CHECK(table.table_pages() == 1);
            CHECK(frames.live() == 1);
            frames.fail_after(-1);
        }
        CHECK(frames.live() == 0);
        CHECK(frames.bad_frees() == 0);
    }
    FakeFrames frames(32);
    PageTable table = make_table(frames);
    frames.fail_after(5);
    REQUIRE(table.map_range(virt, 0x100000, length, PageFlags::Write).has_value());
    CHECK(table.table_pages() == 6);
}

TEST_CASE("map_range rolls back when part of the range is taken", "[paging]") {
    FakeFrames frames(32);
    PageTable table = make_table(frames);
    REQUIRE(table.map(0x403000, 0x9000, PageFlags::None).has_value());
    size_t before = frames.live();

    CHECK(table.map_range(0x400000, 0x100000, 0x8000, PageFlags::Write).error() == Error::Exists);
    CHECK(table.translate(0x400000).error() == Error::NoEntry);
    CHECK(table.translate(0x402000).error() == Error::NoEntry);
    CHECK(table.translate(0x403000).value().phys == 0x9000);
    CHECK(frames.live() == before);
}

TEST_CASE("protect changes the rights of 4 KiB and 2 MiB pages", "[paging]") {
    FakeFrames frames(32);
    PageTable table = make_table(frames);
    REQUIRE(table.map(0x1000, 0x7000, PageFlags::Write).has_value());
    REQUIRE(table.map(0x400000, 0x600000, PageFlags::None, PageSize::Size2M).has_value());

    // Accessed and dirty survive, as do the address and the page size.
    auto* pt = static_cast<PageTableEntry*>(
        frames.phys_to_virt(raw_path(frames, table, 0x1000)[2] & PageTableEntry::AddressMask));
    pt[1].set(PageTableEntry::Accessed | PageTableEntry::Dirty);

    REQUIRE(table.protect(0x1000, PageFlags::Execute | PageFlags::User).has_value());
    auto t = table.translate(0x1000);
    CHECK(t.value().flags == (PageFlags::Execute | PageFlags::User));
    CHECK(t.value().phys == 0x7000);
    u64 leaf = raw_path(frames, table, 0x1000)[3];
    CHECK(has(leaf, PageTableEntry::Accessed | PageTableEntry::Dirty | PageTableEntry::User));
    CHECK_FALSE(has(leaf, PageTableEntry::Writable));
    CHECK_FALSE(has(leaf, PageTableEntry::NoExecute));
    // User rights need the user bit above the leaf too.
    for (u64 raw : raw_path(frames, table, 0x1000))
        CHECK(has(raw, PageTableEntry::User));

    REQUIRE(table.protect(0x400000 + 0x5000, PageFlags::Write | PageFlags::NoCache).has_value());
    auto large = table.translate(0x400000);
    CHECK(large.value().size == PageSize::Size2M);
    CHECK(large.value().phys == 0x600000);
    CHECK(large.value().flags == (PageFlags::Write | PageFlags::NoCache));
    u64 pde = raw_path(frames, table, 0x400000)[2];
    CHECK(has(pde, PageTableEntry::Huge | PageTableEntry::NoExecute | PageTableEntry::Writable |
                       PageTableEntry::CacheDisable));

    CHECK(table.protect(0x2000, PageFlags::None).error() == Error::NoEntry);
    CHECK(table.protect(0x40000000, PageFlags::None).error() == Error::NoEntry);
}

TEST_CASE("a shared PML4 slot restricts and is never edited or freed", "[paging]") {
    FakeFrames frames(32);
    PageTable owner = make_table(frames);
    u64 kernel_virt = 0xffff800000001000; // PML4 slot 256
    REQUIRE(owner.map(kernel_virt, 0x3000, PageFlags::Write).has_value());
    u64 slot = frames.entry(owner.root(), 256);
    PhysAddr pdpt = slot & PageTableEntry::AddressMask;
    size_t owner_frames = frames.live();
    CHECK(owner_frames == 4);

    {
        PageTable domain = make_table(frames);
        REQUIRE(domain.share_pml4_slot(256, pdpt, false, false).has_value());
        u64 shared = frames.entry(domain.root(), 256);
        CHECK(has(shared, PageTableEntry::Present | PageTableEntry::SoftShared));
        CHECK_FALSE(has(shared, PageTableEntry::Writable));
        CHECK_FALSE(has(shared, PageTableEntry::User));
        CHECK_FALSE(has(shared, PageTableEntry::NoExecute));
        CHECK((shared & PageTableEntry::AddressMask) == pdpt);
        CHECK(domain.table_pages() == 1);

        // The domain sees the owner's page, read-only.
        auto t = domain.translate(kernel_virt + 8);
        REQUIRE(t.has_value());
        CHECK(t.value().phys == 0x3008);
        CHECK(t.value().flags == PageFlags::None);
        CHECK(owner.translate(kernel_virt).value().flags == PageFlags::Write);

        CHECK(domain.map(kernel_virt + FRAME, 0x4000, PageFlags::None).error() ==
              Error::NotPermitted);
        CHECK(domain.map(0xffff800040000000, 0x4000, PageFlags::None).error() ==
              Error::NotPermitted);
        CHECK(domain.unmap(kernel_virt).error() == Error::NotPermitted);
        CHECK(domain.protect(kernel_virt, PageFlags::Write).error() == Error::NotPermitted);
        CHECK(domain.share_pml4_slot(256, pdpt, true, false).error() == Error::Exists);
        CHECK(domain.share_pml4_slot(512, pdpt, true, false).error() == Error::Invalid);
        CHECK(domain.share_pml4_slot(257, pdpt + 8, true, false).error() == Error::Invalid);

        // A writable user share sets both bits.
        REQUIRE(domain.share_pml4_slot(300, pdpt, true, true).has_value());
        CHECK(has(frames.entry(domain.root(), 300),
                  PageTableEntry::Writable | PageTableEntry::User | PageTableEntry::SoftShared));

        // The domain's own slots still work.
        REQUIRE(domain.map(0x1000, 0x5000, PageFlags::Write).has_value());
        CHECK(domain.table_pages() == 4);
        CHECK(frames.live() == owner_frames + 4);

        domain.destroy();
        CHECK(domain.table_pages() == 0);
        CHECK(frames.live() == owner_frames);
        CHECK(frames.is_used(pdpt));
        domain.destroy(); // idempotent
    }
    CHECK(frames.live() == owner_frames);
    CHECK(owner.translate(kernel_virt).value().phys == 0x3000);
    CHECK(frames.bad_frees() == 0);
}

TEST_CASE("destroy gives every table page back", "[paging]") {
    FakeFrames frames(128);
    PageTable table = make_table(frames);
    u64 addresses[] = {0x1000,
                       0x200000,
                       0x40000000,
                       0x0000008000000000,
                       0x00007fffffe00000,
                       0xffff800000000000,
                       0xffffffff80000000,
                       0xffffffffc0000000};
    for (u64 virt : addresses)
        REQUIRE(table.map(virt, 0x200000, PageFlags::Write | PageFlags::User).has_value());
    REQUIRE(table.map(0x40200000, 0x200000, PageFlags::None, PageSize::Size2M).has_value());
    CHECK(table.table_pages() == frames.live());
    CHECK(frames.live() > 10);

    table.destroy();
    CHECK(frames.live() == 0);
    CHECK(table.table_pages() == 0);
    CHECK(table.root() == 0);
    table.destroy();
    CHECK(frames.bad_frees() == 0);
    CHECK(table.translate(0x1000).error() == Error::Invalid);
    CHECK(table.map(0x1000, 0x1000, PageFlags::None).error() == Error::Invalid);
}

TEST_CASE("a moved page table keeps its mappings and frees them once", "[paging]") {
    FakeFrames frames(32);
    {
        PageTable first = make_table(frames);
        REQUIRE(first.map(0x1000, 0x2000, PageFlags::Write).has_value());
        PhysAddr root = first.root();

        PageTable second(nk::move(first));
        CHECK(first.root() == 0);
        CHECK(first.table_pages() == 0);
        CHECK(second.root() == root);
        CHECK(second.table_pages() == 4);
        CHECK(second.translate(0x1000).value().phys == 0x2000);
        first.destroy();
        CHECK(frames.live() == 4);
    }
    CHECK(frames.live() == 0);
    CHECK(frames.bad_frees() == 0);
}

TEST_CASE("a PDPT entry can link someone else's page directory read-only", "[paging]") {
    FakeFrames frames(64);
    auto owner = x86::PageTable::create(frames);
    REQUIRE(owner.has_value());
    // The owner maps a page in the kernel image's gigabyte (0xffffffff80000000).
    constexpr nk::u64 image = 0xffffffff80000000ull;
    REQUIRE(owner.value().map(image + 0x1000, 0x5000, x86::PageFlags::Write).has_value());
    // Find the owner's PD for that gigabyte through its tables.
    auto* pml4 = static_cast<x86::PageTableEntry*>(frames.phys_to_virt(owner.value().root()));
    auto* pdpt = static_cast<x86::PageTableEntry*>(frames.phys_to_virt(pml4[511].address()));
    nk::u64 owner_pd = pdpt[510].address();

    auto domain = x86::PageTable::create(frames);
    REQUIRE(domain.has_value());
    auto live_before = frames.live();
    REQUIRE(domain.value().share_subtree(image, 2, owner_pd, false, false).has_value());
    // The domain sees the owner's mapping, read-only.
    auto seen = domain.value().translate(image + 0x1000);
    REQUIRE(seen.has_value());
    CHECK(seen.value().phys == 0x5000);
    CHECK_FALSE(x86::has_flag(seen.value().flags, x86::PageFlags::Write));
    // It cannot edit below the link...
    CHECK(domain.value().map(image + 0x2000, 0x6000, x86::PageFlags::None).error() ==
          nk::Error::NotPermitted);
    CHECK(domain.value().unmap(image + 0x1000).error() == nk::Error::NotPermitted);
    CHECK(domain.value().share_subtree(image, 2, owner_pd, false, false).error() ==
          nk::Error::Exists);
    // ... but owns the next gigabyte (the module region) under the same PML4 slot.
    constexpr nk::u64 modules = 0xffffffffc0000000ull;
    REQUIRE(domain.value().map(modules, 0x7000, x86::PageFlags::Write).has_value());
    CHECK(x86::has_flag(domain.value().translate(modules).value().flags, x86::PageFlags::Write));
    // Bad requests.
    CHECK(domain.value().share_subtree(image + 0x1000, 2, owner_pd, false, false).error() ==
          nk::Error::Invalid);
    CHECK(domain.value().share_subtree(image, 1, owner_pd, false, false).error() ==
          nk::Error::Invalid);
    // Destroying the domain frees its own tables only; the owner's PD survives.
    domain.value().destroy();
    // Its PML4 and the PDPT it created are gone; nothing of the owner's was freed.
    CHECK(frames.live() == live_before - 1);
    CHECK(owner.value().translate(image + 0x1000).has_value());
}
