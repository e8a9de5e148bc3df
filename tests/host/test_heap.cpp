#include <catch2/catch.hpp>

#include <kernel/memory/heap.h>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <vector>

using kernel::Heap;
using kernel::HEAP_PAGE_SIZE;
using kernel::HeapStats;
using nk::Error;
using nk::Result;
using nk::u64;
using nk::u8;
using nk::usize;

namespace {

// Pages from aligned host memory. Returned pages are kept (and scribbled over) rather than given
// back to the host, so that the heap's reads of stale headers stay inside memory ASan considers
// valid, and so that a returned block is reused the way a real allocator would.
//
// owns() is PageSource's default (everything, as for the kernel heap) unless the source is
// `restrictive`: then exactly the blocks it handed out and has not taken back, as for an
// isolated extension's heap, whose pages the extension can write.
class FakePageSource final : public kernel::PageSource {
public:
    explicit FakePageSource(bool restrictive = false) : m_restrictive(restrictive) {}
    FakePageSource(const FakePageSource&) = delete;
    FakePageSource& operator=(const FakePageSource&) = delete;
    ~FakePageSource() {
        for (auto& [memory, block] : m_blocks)
            std::free(memory);
    }

    Result<void*> allocate_pages(unsigned order) override {
        u64 pages = u64(1) << order;
        if (m_limited && pages > m_budget)
            return Error::NoMemory;
        if (m_limited)
            m_budget -= pages;
        void* memory = nullptr;
        auto& reusable = m_free[order];
        if (!reusable.empty()) {
            memory = reusable.back();
            reusable.pop_back();
        } else {
            usize bytes = HEAP_PAGE_SIZE << order;
            memory = std::aligned_alloc(bytes, bytes);
            REQUIRE(memory != nullptr);
            m_blocks[memory] = Block{order, false};
        }
        std::memset(memory, 0xcc, HEAP_PAGE_SIZE << order);
        m_blocks[memory].in_use = true;
        m_outstanding_pages += pages;
        return memory;
    }

    void free_pages(void* pages, unsigned order) override {
        auto it = m_blocks.find(pages);
        if (it == m_blocks.end() || !it->second.in_use || it->second.order != order) {
            ++m_bad_frees;
            return;
        }
        it->second.in_use = false;
        std::memset(pages, 0xdd, HEAP_PAGE_SIZE << order);
        m_free[order].push_back(pages);
        m_outstanding_pages -= u64(1) << order;
    }

    bool owns(const void* address, usize length) const override {
        if (!m_restrictive)
            return PageSource::owns(address, length);
        auto it = m_blocks.upper_bound(const_cast<void*>(address));
        if (it == m_blocks.begin())
            return false;
        --it;
        auto offset = reinterpret_cast<uintptr_t>(address) - reinterpret_cast<uintptr_t>(it->first);
        usize size = HEAP_PAGE_SIZE << it->second.order;
        return it->second.in_use && offset < size && length <= size - offset;
    }

    // The next `pages` pages succeed, later requests fail.
    void fail_after(u64 pages) {
        m_limited = true;
        m_budget = pages;
    }
    void unlimited() { m_limited = false; }

    u64 outstanding_pages() const { return m_outstanding_pages; }
    u64 bad_frees() const { return m_bad_frees; }

private:
    struct Block {
        unsigned order;
        bool in_use;
    };
    std::map<void*, Block> m_blocks;
    std::vector<void*> m_free[16];
    u64 m_outstanding_pages = 0;
    u64 m_bad_frees = 0;
    bool m_restrictive;
    bool m_limited = false;
    u64 m_budget = 0;
};

bool same_stats(const HeapStats& a, const HeapStats& b) {
    return std::memcmp(&a, &b, sizeof(a)) == 0;
}

// Every field except errors_detected, which a refused call is expected to bump.
bool same_except_errors(HeapStats a, HeapStats b) {
    a.errors_detected = b.errors_detected = 0;
    return same_stats(a, b);
}

usize class_size(usize size) {
    usize object = 16;
    while (object < std::max<usize>(size, 1))
        object *= 2;
    return object;
}

void fill(void* block, usize size, u8 pattern) {
    std::memset(block, pattern, size);
}

bool holds(const void* block, usize size, u8 pattern) {
    auto* bytes = static_cast<const u8*>(block);
    for (usize i = 0; i < size; ++i) {
        if (bytes[i] != pattern)
            return false;
    }
    return true;
}

} // namespace

TEST_CASE("every size class is 16-byte aligned and sized", "[heap]") {
    const bool restrictive = GENERATE(false, true); // the kernel's heap, a domain's
    FakePageSource source(restrictive);
    Heap heap(source);
    std::vector<usize> sizes = {0, 1, 15, 16, 17};
    for (usize object = 32; object <= Heap::MAX_SMALL_SIZE; object *= 2) {
        sizes.push_back(object - 1);
        sizes.push_back(object);
        sizes.push_back(object / 2 + 1);
    }
    std::vector<std::pair<void*, usize>> blocks;
    u64 requested = 0;
    for (usize size : sizes) {
        auto block = heap.allocate(size);
        REQUIRE(block.has_value());
        void* pointer = block.value();
        CHECK(reinterpret_cast<uintptr_t>(pointer) % 16 == 0);
        CHECK(heap.usable_size(pointer) == class_size(size));
        fill(pointer, heap.usable_size(pointer), u8(size));
        blocks.push_back({pointer, size});
        requested += std::max<usize>(size, 1);
    }
    HeapStats stats = heap.stats();
    CHECK(stats.live_allocations == sizes.size());
    CHECK(stats.total_allocations == sizes.size());
    CHECK(stats.bytes_requested == requested);
    CHECK(stats.large_allocations == 0);
    CHECK(stats.bytes_reserved == source.outstanding_pages() * HEAP_PAGE_SIZE);

    for (auto [pointer, size] : blocks) {
        CHECK(holds(pointer, heap.usable_size(pointer), u8(size)));
        REQUIRE(heap.free(pointer).has_value());
        CHECK(heap.usable_size(pointer) == 0);
    }
    stats = heap.stats();
    CHECK(stats.live_allocations == 0);
    CHECK(stats.bytes_requested == 0);
    CHECK(stats.total_frees == sizes.size());
    CHECK(stats.errors_detected == 0);
    heap.trim();
    CHECK(heap.stats().bytes_reserved == 0);
    CHECK(source.outstanding_pages() == 0);
    CHECK(source.bad_frees() == 0);
}

TEST_CASE("slabs pack the expected number of objects per page", "[heap]") {
    // These counts are documented in heap.cpp; a change in the header layout should be seen.
    const std::pair<usize, usize> expected[] = {{16, 221}, {32, 117}, {64, 60},  {128, 30},
                                                {256, 15}, {512, 7},  {1024, 3}, {2048, 1}};
    for (auto [size, per_page] : expected) {
        FakePageSource source;
        Heap heap(source);
        for (usize i = 0; i < per_page; ++i)
            REQUIRE(heap.allocate(size).has_value());
        CHECK(source.outstanding_pages() == 1);
        REQUIRE(heap.allocate(size).has_value());
        CHECK(source.outstanding_pages() == 2);
    }
}

TEST_CASE("live blocks never overlap", "[heap]") {
    const bool restrictive = GENERATE(false, true); // the kernel's heap, a domain's
    FakePageSource source(restrictive);
    Heap heap(source);
    std::mt19937 random(1);
    struct Live {
        u8* pointer;
        usize size;
        u8 pattern;
    };
    std::vector<Live> live;
    for (int i = 0; i < 3000; ++i) {
        usize size = random() % 8 == 0 ? 2049 + random() % 20000 : 1 + random() % 2048;
        auto block = heap.allocate(size);
        REQUIRE(block.has_value());
        auto* pointer = static_cast<u8*>(block.value());
        usize usable = heap.usable_size(pointer);
        REQUIRE(usable >= size);
        u8 pattern = u8(1 + i % 251);
        fill(pointer, usable, pattern);
        live.push_back({pointer, usable, pattern});
    }
    for (auto& block : live)
        REQUIRE(holds(block.pointer, block.size, block.pattern));
    std::sort(live.begin(), live.end(),
              [](const Live& a, const Live& b) { return a.pointer < b.pointer; });
    for (size_t i = 1; i < live.size(); ++i)
        REQUIRE(live[i - 1].pointer + live[i - 1].size <= live[i].pointer);
    for (auto& block : live)
        REQUIRE(heap.free(block.pointer).has_value());
    heap.trim();
    CHECK(source.outstanding_pages() == 0);
    CHECK(heap.stats().errors_detected == 0);
}

TEST_CASE("large blocks use whole pages behind a header", "[heap]") {
    const bool restrictive = GENERATE(false, true); // the kernel's heap, a domain's
    FakePageSource source(restrictive);
    Heap heap(source);
    struct Case {
        usize size;
        usize pages;
    };
    const Case cases[] = {{2049, 1},
                          {4096 - 32, 1},
                          {4096 - 31, 2},
                          {4096, 2},
                          {3 * 4096, 4},
                          {100000, 32},
                          {4 * 1024 * 1024 - 32, 1024}};
    for (auto [size, pages] : cases) {
        HeapStats before = heap.stats();
        auto block = heap.allocate(size);
        REQUIRE(block.has_value());
        auto* pointer = static_cast<u8*>(block.value());
        CHECK(reinterpret_cast<uintptr_t>(pointer) % 16 == 0);
        CHECK(reinterpret_cast<uintptr_t>(pointer) % HEAP_PAGE_SIZE != 0);
        usize usable = heap.usable_size(pointer);
        CHECK(usable >= size);
        CHECK(usable < pages * HEAP_PAGE_SIZE);
        fill(pointer, usable, 0x5a); // ASan checks the whole range lies in the block
        HeapStats after = heap.stats();
        CHECK(after.bytes_reserved - before.bytes_reserved == pages * HEAP_PAGE_SIZE);
        CHECK(after.bytes_requested - before.bytes_requested == size);
        CHECK(after.large_allocations == before.large_allocations + 1);
        CHECK(source.outstanding_pages() == pages);

        REQUIRE(heap.free(pointer).has_value());
        CHECK(same_except_errors(heap.stats(), [&] {
            HeapStats expected = before;
            ++expected.total_allocations;
            ++expected.total_frees;
            return expected;
        }()));
        CHECK(source.outstanding_pages() == 0);
    }

    HeapStats before = heap.stats();
    CHECK(heap.allocate(4 * 1024 * 1024 - 31).error() == Error::NoMemory);
    CHECK(heap.allocate(SIZE_MAX).error() == Error::NoMemory);
    CHECK(heap.allocate(SIZE_MAX - 8).error() == Error::NoMemory);
    CHECK(same_stats(heap.stats(), before));
    CHECK(source.bad_frees() == 0);
}

TEST_CASE("double frees and foreign pointers are refused without effect", "[heap]") {
    const bool restrictive = GENERATE(false, true); // the kernel's heap, a domain's
    FakePageSource source(restrictive);
    Heap heap(source);
    void* small = heap.allocate(64).value();
    void* neighbour = heap.allocate(64).value();
    void* large = heap.allocate(10000).value();
    void* kept_large = heap.allocate(5000).value();

    FakePageSource other_source(restrictive);
    Heap other(other_source);
    void* others = other.allocate(64).value();
    void* others_large = other.allocate(10000).value();

    // Host memory the heap never saw, zeroed so its "header" is plainly not one.
    std::unique_ptr<void, decltype(&std::free)> foreign(
        std::aligned_alloc(HEAP_PAGE_SIZE, HEAP_PAGE_SIZE), &std::free);
    void* foreign_page = foreign.get();
    std::memset(foreign_page, 0, HEAP_PAGE_SIZE);

    auto refused = [&](void* pointer) {
        HeapStats before = heap.stats();
        u64 pages = source.outstanding_pages();
        auto result = heap.free(pointer);
        HeapStats after = heap.stats();
        return result.is_error() && result.error() == Error::Invalid &&
               after.errors_detected == before.errors_detected + 1 &&
               same_except_errors(after, before) && source.outstanding_pages() == pages &&
               heap.usable_size(pointer) == 0;
    };

    auto* small_bytes = static_cast<u8*>(small);
    auto* large_bytes = static_cast<u8*>(large);
    CHECK(refused(nullptr));
    CHECK(refused(small_bytes + 1));      // misaligned
    CHECK(refused(small_bytes + 16));     // inside an object
    CHECK(refused(small_bytes + 64 * 3)); // an object that was never handed out
    CHECK(refused(reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(small) &
                                          ~(HEAP_PAGE_SIZE - 1)))); // the slab header
    CHECK(refused(
        reinterpret_cast<u8*>(reinterpret_cast<uintptr_t>(small) & ~(HEAP_PAGE_SIZE - 1)) + 48));
    CHECK(refused(large_bytes + 16));
    CHECK(refused(large_bytes - 32));             // the large header itself
    CHECK(refused(large_bytes + HEAP_PAGE_SIZE)); // second page of the block
    CHECK(refused(static_cast<u8*>(foreign_page) + 128));
    CHECK(refused(others));
    CHECK(refused(others_large));

    REQUIRE(heap.free(small).has_value());
    CHECK(refused(small)); // double free of a small block
    REQUIRE(heap.free(large).has_value());
    CHECK(refused(large)); // double free of a large block

    // The neighbour and the other heap are untouched by all this.
    CHECK(heap.usable_size(neighbour) == 64);
    CHECK(heap.usable_size(kept_large) >= 5000);
    CHECK(other.usable_size(others) == 64);
    REQUIRE(heap.free(neighbour).has_value());
    REQUIRE(heap.free(kept_large).has_value());
    REQUIRE(other.free(others).has_value());
    REQUIRE(other.free(others_large).has_value());
    CHECK(other.stats().errors_detected == 0);
    CHECK(heap.stats().errors_detected == 14);
    CHECK(heap.stats().live_allocations == 0);
    CHECK(heap.stats().bytes_requested == 0);
    heap.trim();
    other.trim();
    CHECK(source.outstanding_pages() == 0);
    CHECK(other_source.outstanding_pages() == 0);
    CHECK(source.bad_frees() == 0);
}

TEST_CASE("a write after free is caught when the block is reused", "[heap]") {
    const bool restrictive = GENERATE(false, true);
    for (usize size = 16; size <= Heap::MAX_SMALL_SIZE; size *= 2) {
        for (usize damaged_byte : {usize(0), size / 2 + 3, size - 1}) {
            FakePageSource source(restrictive);
            Heap heap(source);
            std::vector<void*> live;
            for (int i = 0; i < 5; ++i)
                live.push_back(heap.allocate(size).value());
            auto* victim = static_cast<u8*>(live[2]);
            REQUIRE(heap.free(victim).has_value());
            live.erase(live.begin() + 2);
            victim[damaged_byte] ^= 0x01; // the bug being simulated

            bool reported = false;
            for (int i = 0; i < 1000 && !reported; ++i) {
                HeapStats before = heap.stats();
                auto block = heap.allocate(size);
                if (block.is_error()) {
                    CHECK(block.error() == Error::Corrupt);
                    HeapStats after = heap.stats();
                    CHECK(after.errors_detected == before.errors_detected + 1);
                    CHECK(same_except_errors(after, before));
                    reported = true;
                } else {
                    CHECK(block.value() != victim);
                    live.push_back(block.value());
                }
            }
            REQUIRE(reported);

            // Quarantined: never handed out again, not freeable, and its page is kept.
            for (int i = 0; i < 20; ++i) {
                auto block = heap.allocate(size);
                REQUIRE(block.has_value());
                CHECK(block.value() != victim);
                live.push_back(block.value());
            }
            CHECK(heap.free(victim).error() == Error::Invalid);
            for (void* pointer : live)
                REQUIRE(heap.free(pointer).has_value());
            heap.trim();
            CHECK(source.outstanding_pages() == 1);
            CHECK(heap.stats().bytes_reserved == HEAP_PAGE_SIZE);
            CHECK(heap.stats().errors_detected == 2);
            CHECK(heap.stats().live_allocations == 0);
        }
    }
}

TEST_CASE("trim returns exactly the empty slab pages", "[heap]") {
    const bool restrictive = GENERATE(false, true); // the kernel's heap, a domain's
    FakePageSource source(restrictive);
    Heap heap(source);
    std::vector<void*> blocks;
    for (int i = 0; i < 1000; ++i)
        blocks.push_back(heap.allocate(32).value());
    u64 pages = (1000 + 116) / 117;
    CHECK(source.outstanding_pages() == pages);
    CHECK(heap.stats().bytes_reserved == pages * HEAP_PAGE_SIZE);

    heap.trim(); // nothing is empty yet
    CHECK(source.outstanding_pages() == pages);

    // Free everything except the first object: its slab must survive the trim.
    for (size_t i = 1; i < blocks.size(); ++i)
        REQUIRE(heap.free(blocks[i]).has_value());
    CHECK(heap.stats().bytes_reserved == pages * HEAP_PAGE_SIZE);
    heap.trim();
    CHECK(source.outstanding_pages() == 1);
    CHECK(heap.stats().bytes_reserved == HEAP_PAGE_SIZE);
    CHECK(heap.usable_size(blocks[0]) == 32);

    // A trimmed page's objects are no longer this heap's.
    CHECK(heap.free(blocks.back()).error() == Error::Invalid);

    REQUIRE(heap.free(blocks[0]).has_value());
    heap.trim();
    CHECK(source.outstanding_pages() == 0);
    CHECK(heap.stats().bytes_reserved == 0);
    CHECK(source.bad_frees() == 0);
    // The heap still works after giving everything back.
    void* again = heap.allocate(32).value();
    REQUIRE(heap.free(again).has_value());
}

TEST_CASE("page source failures surface as NoMemory and change nothing", "[heap]") {
    const bool restrictive = GENERATE(false, true); // the kernel's heap, a domain's
    FakePageSource source(restrictive);
    Heap heap(source);
    void* first = heap.allocate(128).value();

    source.fail_after(0);
    HeapStats before = heap.stats();
    // The existing slab still has room, so small requests of its class succeed.
    void* second = heap.allocate(128).value();
    CHECK(heap.allocate(64).error() == Error::NoMemory);
    CHECK(heap.allocate(3000).error() == Error::NoMemory);
    CHECK(heap.stats().live_allocations == before.live_allocations + 1);

    source.fail_after(3);
    void* large = heap.allocate(8000).value(); // two pages
    CHECK(heap.allocate(8000).error() == Error::NoMemory);
    void* small = heap.allocate(16).value(); // the third page
    CHECK(heap.allocate(32).error() == Error::NoMemory);
    CHECK(source.outstanding_pages() == 4);
    CHECK(heap.stats().bytes_reserved == 4 * HEAP_PAGE_SIZE);

    source.unlimited();
    for (void* pointer : {first, second, large, small})
        REQUIRE(heap.free(pointer).has_value());
    heap.trim();
    CHECK(source.outstanding_pages() == 0);
    CHECK(heap.stats().errors_detected == 0);
}

TEST_CASE("heap: randomized operations agree with a reference model", "[heap]") {
    const bool restrictive = GENERATE(false, true); // the kernel's heap, a domain's
    FakePageSource source(restrictive);
    Heap heap(source);
    struct Live {
        usize size;
        u8 pattern;
    };
    std::map<u8*, Live> live;
    std::vector<u8*> order; // for random picks
    u64 requested = 0;
    u64 large = 0;
    u64 allocations = 0;
    u64 frees = 0;
    std::mt19937_64 random(99);

    for (int op = 0; op < 20000; ++op) {
        unsigned action = random() % 100;
        if (action < 50 || live.empty()) {
            unsigned kind = random() % 10;
            usize size = kind < 7   ? random() % 257
                         : kind < 9 ? 257 + random() % 1792
                                    : 2049 + random() % 30000;
            bool inject = random() % 50 == 0;
            if (inject)
                source.fail_after(random() % 2);
            HeapStats before = heap.stats();
            auto block = heap.allocate(size);
            source.unlimited();
            if (block.is_error()) {
                REQUIRE(inject);
                REQUIRE(block.error() == Error::NoMemory);
                REQUIRE(same_stats(heap.stats(), before));
                continue;
            }
            auto* pointer = static_cast<u8*>(block.value());
            usize usable = heap.usable_size(pointer);
            REQUIRE(usable >= std::max<usize>(size, 1));
            REQUIRE(reinterpret_cast<uintptr_t>(pointer) % 16 == 0);
            // No overlap with the neighbours on either side.
            auto next = live.lower_bound(pointer);
            if (next != live.end())
                REQUIRE(pointer + usable <= next->first);
            if (next != live.begin()) {
                auto previous = std::prev(next);
                REQUIRE(previous->first + heap.usable_size(previous->first) <= pointer);
            }
            u8 pattern = u8(random());
            fill(pointer, usable, pattern);
            live[pointer] = {std::max<usize>(size, 1), pattern};
            order.push_back(pointer);
            requested += std::max<usize>(size, 1);
            large += size > Heap::MAX_SMALL_SIZE;
            ++allocations;
        } else if (action < 95) {
            size_t pick = random() % order.size();
            u8* pointer = order[pick];
            order[pick] = order.back();
            order.pop_back();
            Live block = live[pointer];
            live.erase(pointer);
            REQUIRE(holds(pointer, heap.usable_size(pointer), block.pattern));
            REQUIRE(heap.free(pointer).has_value());
            requested -= block.size;
            large -= block.size > Heap::MAX_SMALL_SIZE;
            ++frees;
            if (random() % 4 == 0) {
                HeapStats before = heap.stats();
                REQUIRE(heap.free(pointer).error() == Error::Invalid);
                REQUIRE(heap.stats().errors_detected == before.errors_detected + 1);
                REQUIRE(same_except_errors(heap.stats(), before));
            }
        } else {
            heap.trim();
        }

        HeapStats stats = heap.stats();
        REQUIRE(stats.live_allocations == live.size());
        REQUIRE(stats.bytes_requested == requested);
        REQUIRE(stats.large_allocations == large);
        REQUIRE(stats.total_allocations == allocations);
        REQUIRE(stats.total_frees == frees);
        REQUIRE(stats.bytes_reserved == source.outstanding_pages() * HEAP_PAGE_SIZE);
    }

    for (auto& [pointer, block] : live) {
        REQUIRE(holds(pointer, heap.usable_size(pointer), block.pattern));
        REQUIRE(heap.free(pointer).has_value());
    }
    heap.trim();
    HeapStats stats = heap.stats();
    CHECK(stats.live_allocations == 0);
    CHECK(stats.bytes_requested == 0);
    CHECK(stats.bytes_reserved == 0);
    CHECK(stats.large_allocations == 0);
    CHECK(stats.total_allocations == stats.total_frees);
    CHECK(source.outstanding_pages() == 0);
    CHECK(source.bad_frees() == 0);
}

// ---------------------------------------------------------------------------------------------
// An isolated extension can write its heap's pages, headers included. Whatever it writes there,
// the heap must never read or write memory its page source does not own through a pointer or
// index it found in those pages (heap.cpp, "Untrusted pages").

namespace {

// Offsets in a slab header (Heap::Slab in heap.cpp), as an extension would learn them; the first
// test below checks them against the lists the heap builds.
constexpr usize SLAB_OBJECT_OFFSET = 6;
constexpr usize SLAB_OBJECT_COUNT = 8;
constexpr usize SLAB_FREE_COUNT = 10;
constexpr usize SLAB_OWNER = 16;
constexpr usize SLAB_PREV = 24;
constexpr usize SLAB_NEXT = 32;
constexpr usize SLAB_ALLOCATED = 40;
// And in a large block's header, just before the pointer handed out.
constexpr usize LARGE_ORDER = 4;
constexpr usize LARGE_HEADER = 32;
constexpr uint32_t LARGE_MAGIC = 0x4c415247;

u8* page_of(void* pointer) {
    return reinterpret_cast<u8*>(reinterpret_cast<uintptr_t>(pointer) & ~(HEAP_PAGE_SIZE - 1));
}

template <typename T>
T read_at(const u8* base, usize offset) {
    T value;
    std::memcpy(&value, base + offset, sizeof(T));
    return value;
}

template <typename T>
void write_at(u8* base, usize offset, T value) {
    std::memcpy(base + offset, &value, sizeof(T));
}

// A page of host memory the heap's source does not own, holding a snapshot of something the
// heap would accept (a copy of one of its slab pages), so that only owns() keeps the heap out.
class Canary {
public:
    explicit Canary(const void* copy_of)
        : m_page(static_cast<u8*>(std::aligned_alloc(HEAP_PAGE_SIZE, HEAP_PAGE_SIZE))) {
        REQUIRE(m_page != nullptr);
        std::memcpy(m_page, copy_of, HEAP_PAGE_SIZE);
        std::memcpy(m_snapshot, m_page, HEAP_PAGE_SIZE);
    }
    Canary(const Canary&) = delete;
    Canary& operator=(const Canary&) = delete;
    ~Canary() { std::free(m_page); }

    u8* page() { return m_page; }
    bool untouched() const { return std::memcmp(m_page, m_snapshot, HEAP_PAGE_SIZE) == 0; }

private:
    u8* m_page;
    u8 m_snapshot[HEAP_PAGE_SIZE];
};

// Order-0 pages only, each followed by a fence page the source never hands out or owns. The
// fences are full of the heap's poison byte: a heap that strayed past a slab page would find
// what looks like free objects there and hand them out.
class FencedPageSource final : public kernel::PageSource {
public:
    static constexpr usize SLOTS = 8;

    FencedPageSource()
        : m_base(static_cast<u8*>(std::aligned_alloc(HEAP_PAGE_SIZE, 2 * SLOTS * HEAP_PAGE_SIZE))) {
        REQUIRE(m_base != nullptr);
        std::memset(m_base, 0x6b, 2 * SLOTS * HEAP_PAGE_SIZE);
    }
    FencedPageSource(const FencedPageSource&) = delete;
    FencedPageSource& operator=(const FencedPageSource&) = delete;
    ~FencedPageSource() { std::free(m_base); }

    Result<void*> allocate_pages(unsigned order) override {
        if (order != 0)
            return Error::NoMemory;
        for (usize slot = 0; slot < SLOTS; ++slot) {
            if (!m_in_use[slot]) {
                m_in_use[slot] = true;
                std::memset(page(slot), 0xcc, HEAP_PAGE_SIZE);
                return static_cast<void*>(page(slot));
            }
        }
        return Error::NoMemory;
    }
    void free_pages(void* pages, unsigned) override {
        for (usize slot = 0; slot < SLOTS; ++slot) {
            if (page(slot) == pages)
                m_in_use[slot] = false;
        }
    }
    bool owns(const void* address, usize length) const override {
        for (usize slot = 0; slot < SLOTS; ++slot) {
            auto offset = reinterpret_cast<uintptr_t>(address) -
                          reinterpret_cast<uintptr_t>(m_base + 2 * slot * HEAP_PAGE_SIZE);
            if (m_in_use[slot] && offset < HEAP_PAGE_SIZE && length <= HEAP_PAGE_SIZE - offset)
                return true;
        }
        return false;
    }

    bool fences_untouched() const {
        for (usize slot = 0; slot < SLOTS; ++slot) {
            if (!holds(m_base + (2 * slot + 1) * HEAP_PAGE_SIZE, HEAP_PAGE_SIZE, 0x6b))
                return false;
        }
        return true;
    }
    bool in_a_fence(const void* pointer, usize size) const {
        for (usize slot = 0; slot < SLOTS; ++slot) {
            auto* fence = m_base + (2 * slot + 1) * HEAP_PAGE_SIZE;
            auto* bytes = static_cast<const u8*>(pointer);
            if (bytes < fence + HEAP_PAGE_SIZE && bytes + size > fence)
                return true;
        }
        return false;
    }

private:
    u8* page(usize slot) { return m_base + 2 * slot * HEAP_PAGE_SIZE; }

    u8* m_base;
    bool m_in_use[SLOTS] = {};
};

} // namespace

TEST_CASE("heap: slab links pointing outside the owned pages are never followed", "[heap]") {
    FakePageSource source(true);
    Heap heap(source);
    // One object per 2048-byte slab: three allocations, three full slabs, full list C -> B -> A.
    void* a = heap.allocate(2048).value();
    void* b = heap.allocate(2048).value();
    void* c = heap.allocate(2048).value();
    u8* slab_a = page_of(a);
    u8* slab_b = page_of(b);
    u8* slab_c = page_of(c);
    REQUIRE(read_at<u8*>(slab_c, SLAB_PREV) == nullptr);
    REQUIRE(read_at<u8*>(slab_c, SLAB_NEXT) == slab_b);
    REQUIRE(read_at<u8*>(slab_b, SLAB_PREV) == slab_c);
    REQUIRE(read_at<u8*>(slab_b, SLAB_NEXT) == slab_a);
    REQUIRE(read_at<u8*>(slab_a, SLAB_PREV) == slab_b);
    REQUIRE(read_at<u8*>(slab_a, SLAB_NEXT) == nullptr);
    REQUIRE(read_at<const void*>(slab_a, SLAB_OWNER) == &heap);

    // Unlinking B from the full list would write through both of its links.
    std::unique_ptr<Canary> canary;
    u8* large = nullptr; // a block of the heap's own, in the last section
    SECTION("next at a copy of the slab that follows") {
        canary = std::make_unique<Canary>(slab_a); // its prev is B: it points back
        write_at(slab_b, SLAB_NEXT, canary->page());
    }
    SECTION("prev at a copy of the slab that precedes") {
        canary = std::make_unique<Canary>(slab_c); // its next is B
        write_at(slab_b, SLAB_PREV, canary->page());
    }
    SECTION("next inside such a copy, misaligned") {
        canary = std::make_unique<Canary>(slab_a);
        write_at(slab_b, SLAB_NEXT, canary->page() + 8);
    }
    SECTION("next at a page of the heap's that is not a slab") {
        canary = std::make_unique<Canary>(slab_a);
        large = static_cast<u8*>(heap.allocate(3000).value());
        std::memset(large, 0x5a, 3000);
        write_at(slab_b, SLAB_NEXT, page_of(large));
    }

    HeapStats before = heap.stats();
    auto freed = heap.free(b);
    REQUIRE(freed.is_error());
    CHECK(freed.error() == Error::Corrupt);
    CHECK(heap.stats().errors_detected == before.errors_detected + 1);
    CHECK(canary->untouched());
    // B itself is intact, so its block was freed all the same.
    CHECK(heap.usable_size(b) == 0);
    CHECK(heap.stats().live_allocations == before.live_allocations - 1);

    // The rest of the damaged list is not trusted any more (a free may report it again), but
    // nothing outside the heap's pages is ever written and the heap stays usable.
    for (void* pointer : {a, c}) {
        auto result = heap.free(pointer);
        CHECK((result.has_value() || result.error() == Error::Corrupt));
        CHECK(heap.usable_size(pointer) == 0);
    }
    std::vector<void*> blocks;
    for (int i = 0; i < 50; ++i) {
        auto block = heap.allocate(i % 2 ? 2048 : 100);
        REQUIRE(block.has_value());
        blocks.push_back(block.value());
    }
    for (void* pointer : blocks)
        CHECK(heap.free(pointer).has_value());
    if (large) {
        CHECK(holds(large, 3000, 0x5a));
        CHECK(heap.free(large).has_value());
    }
    heap.trim();
    CHECK(heap.stats().live_allocations == 0);
    CHECK(canary->untouched());
    CHECK(source.bad_frees() == 0);
}

TEST_CASE("heap: a damaged list head is dropped and the heap goes on", "[heap]") {
    FakePageSource source(true);
    Heap heap(source);
    void* first = heap.allocate(64).value(); // its slab heads the 64-byte partial list
    u8* slab = page_of(first);
    Canary canary(slab);

    SECTION("the head slab's magic") {
        write_at<uint32_t>(slab, 0, 0);
    }
    SECTION("the head slab's owner") {
        write_at<const void*>(slab, SLAB_OWNER, canary.page());
    }
    SECTION("a prev on the head slab") {
        write_at(slab, SLAB_PREV, canary.page());
    }
    SECTION("geometry that would put objects past the page") {
        write_at<uint16_t>(slab, SLAB_OBJECT_COUNT, 200);
    }

    HeapStats before = heap.stats();
    auto refused = heap.allocate(64);
    REQUIRE(refused.is_error());
    CHECK(refused.error() == Error::Corrupt);
    CHECK(heap.stats().errors_detected == before.errors_detected + 1);
    CHECK(same_except_errors(heap.stats(), before));
    CHECK(canary.untouched());

    // A fresh slab replaces the dropped list.
    void* second = heap.allocate(64).value();
    CHECK(page_of(second) != slab);
    CHECK(heap.free(second).has_value());
    CHECK(canary.untouched());
}

TEST_CASE("heap: bitmaps and counts that disagree never lead past the slab's page", "[heap]") {
    FencedPageSource source;
    Heap heap(source);
    // 1024-byte objects: three per slab, the last one ending 912 bytes before the page end, so
    // a fourth would reach into the fence behind it.
    void* first = heap.allocate(1024).value();
    u8* slab = page_of(first);
    REQUIRE(read_at<uint16_t>(slab, SLAB_OBJECT_COUNT) == 3);
    REQUIRE(read_at<uint16_t>(slab, SLAB_FREE_COUNT) == 2);

    SECTION("every object marked allocated, the count saying two are free") {
        write_at<u64>(slab, SLAB_ALLOCATED, 0x7);
    }
    SECTION("a count of objects that runs past the page") {
        write_at<uint16_t>(slab, SLAB_OBJECT_COUNT, 200);
        write_at<u64>(slab, SLAB_ALLOCATED, 0x7);
    }
    SECTION("objects starting near the end of the page") {
        write_at<uint16_t>(slab, SLAB_OBJECT_OFFSET, 4000);
    }

    HeapStats before = heap.stats();
    auto block = heap.allocate(1024);
    REQUIRE(block.is_error());
    CHECK(block.error() == Error::Corrupt);
    CHECK(heap.stats().errors_detected == before.errors_detected + 1);
    CHECK(source.fences_untouched());
    // Freeing the damaged slab's own block: done when its header still describes the block
    // (the first case), refused when not; never a look past the page.
    auto freed = heap.free(first);
    CHECK((freed.has_value() || freed.error() == Error::Invalid));
    CHECK(heap.usable_size(first) == 0);

    for (int i = 0; i < 9; ++i) {
        auto again = heap.allocate(1024);
        REQUIRE(again.has_value());
        CHECK_FALSE(source.in_a_fence(again.value(), 1024));
    }
    CHECK(source.fences_untouched());
}

TEST_CASE("heap: a large header claiming more than its block is refused", "[heap]") {
    FakePageSource source(true);
    Heap heap(source);
    auto* block = static_cast<u8*>(heap.allocate(5000).value()); // two pages
    u8* header = block - LARGE_HEADER;
    REQUIRE(read_at<uint32_t>(header, 0) == LARGE_MAGIC);
    REQUIRE(read_at<uint32_t>(header, LARGE_ORDER) == 1);

    write_at<uint32_t>(header, LARGE_ORDER, 6); // 256 KiB
    CHECK(heap.usable_size(block) == 0);
    HeapStats before = heap.stats();
    auto result = heap.free(block);
    REQUIRE(result.is_error());
    CHECK(result.error() == Error::Corrupt);
    CHECK(heap.stats().errors_detected == before.errors_detected + 1);
    CHECK(same_except_errors(heap.stats(), before));
    CHECK(source.outstanding_pages() == 2);
    CHECK(source.bad_frees() == 0);

    // Put back, the block is an ordinary one again.
    write_at<uint32_t>(header, LARGE_ORDER, 1);
    CHECK(heap.usable_size(block) >= 5000);
    CHECK(heap.free(block).has_value());
    CHECK(source.outstanding_pages() == 0);
    CHECK(source.bad_frees() == 0);
}

TEST_CASE("heap: headers are not read before the page source vouches for their page", "[heap]") {
    FakePageSource source(true);
    Heap heap(source);
    void* live = heap.allocate(64).value();
    // A page the host cannot read at all: any look at a "header" there crashes the test.
    long host_page = sysconf(_SC_PAGESIZE);
    REQUIRE(host_page == long(HEAP_PAGE_SIZE));
    void* memory = mmap(nullptr, HEAP_PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(memory != MAP_FAILED);
    auto* unreadable = static_cast<u8*>(memory);

    for (usize offset : {usize(32), usize(128), usize(2048), HEAP_PAGE_SIZE - 16}) {
        CHECK(heap.usable_size(unreadable + offset) == 0);
        CHECK(heap.free(unreadable + offset).error() == Error::Invalid);
    }
    CHECK(heap.stats().errors_detected == 4);
    munmap(memory, HEAP_PAGE_SIZE);
    CHECK(heap.free(live).has_value());
}

TEST_CASE("heap: a page given back through a forged large header is not used again", "[heap]") {
    FakePageSource source(true);
    Heap heap(source);
    void* block = heap.allocate(16).value(); // its slab heads the 16-byte partial list
    u8* slab = page_of(block);
    // The extension turns its slab page into a "large block" of the heap's and frees it.
    const void* owner = read_at<const void*>(slab, SLAB_OWNER);
    write_at<uint32_t>(slab, 0, LARGE_MAGIC);
    write_at<uint32_t>(slab, LARGE_ORDER, 0);
    write_at(slab, 8, owner);
    REQUIRE(heap.free(slab + LARGE_HEADER).has_value());
    CHECK(source.bad_frees() == 0);
    REQUIRE(holds(slab, HEAP_PAGE_SIZE, 0xdd)); // the source took the page back

    // The partial list still names that page: the heap notices instead of writing to it.
    HeapStats before = heap.stats();
    auto refused = heap.allocate(16);
    REQUIRE(refused.is_error());
    CHECK(refused.error() == Error::Corrupt);
    CHECK(heap.stats().errors_detected == before.errors_detected + 1);
    CHECK(holds(slab, HEAP_PAGE_SIZE, 0xdd));
    CHECK(heap.free(block).error() == Error::Invalid);
    heap.trim();
    CHECK(holds(slab, HEAP_PAGE_SIZE, 0xdd));

    void* fresh = heap.allocate(16).value();
    CHECK(heap.free(fresh).has_value());
}

TEST_CASE("heap: trim stops on a list that loops", "[heap]") {
    FakePageSource source(true);
    Heap heap(source);
    // Two 1024-byte slabs, neither empty, both on the partial list: A (head) -> B.
    std::vector<void*> blocks;
    for (int i = 0; i < 4; ++i)
        blocks.push_back(heap.allocate(1024).value());
    u8* slab_a = page_of(blocks[0]);
    u8* slab_b = page_of(blocks[3]);
    REQUIRE(slab_a != slab_b);
    REQUIRE(heap.free(blocks[0]).has_value());
    REQUIRE(read_at<u8*>(slab_a, SLAB_NEXT) == slab_b);
    REQUIRE(read_at<u8*>(slab_b, SLAB_PREV) == slab_a);

    SECTION("B -> A") {
        write_at(slab_b, SLAB_NEXT, slab_a);
        write_at(slab_a, SLAB_PREV, slab_b);
    }
    SECTION("A -> A") {
        write_at(slab_a, SLAB_NEXT, slab_a);
        write_at(slab_a, SLAB_PREV, slab_a);
    }

    HeapStats before = heap.stats();
    heap.trim(); // returns: the walk is bounded by the number of slab pages
    CHECK(heap.stats().errors_detected == before.errors_detected + 1);
    CHECK(source.outstanding_pages() == 2);
    void* fresh = heap.allocate(1024).value();
    CHECK(page_of(fresh) != slab_a);
    CHECK(page_of(fresh) != slab_b);
    CHECK(heap.free(fresh).has_value());
}
