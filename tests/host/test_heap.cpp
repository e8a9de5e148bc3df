#include <catch2/catch.hpp>

#include <kernel/memory/heap.h>

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
class FakePageSource final : public kernel::PageSource {
public:
    FakePageSource() = default;
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
    FakePageSource source;
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
    FakePageSource source;
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
    FakePageSource source;
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
    FakePageSource source;
    Heap heap(source);
    void* small = heap.allocate(64).value();
    void* neighbour = heap.allocate(64).value();
    void* large = heap.allocate(10000).value();
    void* kept_large = heap.allocate(5000).value();

    FakePageSource other_source;
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
    for (usize size = 16; size <= Heap::MAX_SMALL_SIZE; size *= 2) {
        for (usize damaged_byte : {usize(0), size / 2 + 3, size - 1}) {
            FakePageSource source;
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
    FakePageSource source;
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
    FakePageSource source;
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
    FakePageSource source;
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
