#include <catch2/catch.hpp>

#include <kernel/memory/frame_allocator.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <vector>

using kernel::FRAME_SIZE;
using kernel::FrameAllocator;
using kernel::FrameStats;
using kernel::PhysAddr;
using nk::Error;
using nk::MiB;
using nk::u64;

namespace {

constexpr unsigned MAX_ORDER = FrameAllocator::MAX_ORDER;

struct Range {
    u64 base;
    u64 length;
};

// A machine with a hole, a kernel image inside usable memory whose ends are not frame aligned,
// unaligned usable edges, and a usable range reaching past max_phys.
struct Layout {
    PhysAddr max_phys = 64 * MiB;
    std::vector<Range> usable = {
        {1 * MiB, 31 * MiB},              // frames 256..8191
        {33 * MiB + 100, 15 * MiB - 105}, // 33 MiB+100 .. 48 MiB-5: frames 8449..12286
        {60 * MiB, 8 * MiB},              // clipped at 64 MiB: frames 15360..16383
    };
    std::vector<Range> reserved = {
        {2 * MiB + 0x123, 1 * MiB - 0x123 + 7}, // kernel image: frames 512..768
        {61 * MiB + 4095, 2},                   // straddles two frames: 15616 and 15617
    };
};

// The reference answer, computed per frame from the ranges rather than by rounding.
bool frame_is_usable(const Layout& layout, u64 frame) {
    u64 begin = frame * FRAME_SIZE;
    u64 end = begin + FRAME_SIZE;
    if (end > layout.max_phys)
        return false;
    bool inside = false;
    for (auto& range : layout.usable)
        inside |= begin >= range.base && end <= range.base + range.length;
    for (auto& range : layout.reserved)
        inside &= !(begin < range.base + range.length && range.base < end);
    return inside;
}

// Fully coalesced layout computed top-down: a block is free at order k when every frame in it
// is usable and no larger block already covers it.
std::vector<u64> coalesced_blocks(const Layout& layout) {
    u64 frames = layout.max_phys / FRAME_SIZE;
    std::vector<bool> covered(frames, false);
    std::vector<u64> blocks(MAX_ORDER + 1, 0);
    for (int order = MAX_ORDER; order >= 0; --order) {
        u64 size = u64(1) << order;
        for (u64 head = 0; head + size <= frames; head += size) {
            bool all = true;
            for (u64 f = head; f < head + size && all; ++f)
                all = frame_is_usable(layout, f) && !covered[f];
            if (!all)
                continue;
            ++blocks[order];
            for (u64 f = head; f < head + size; ++f)
                covered[f] = true;
        }
    }
    return blocks;
}

struct Fixture {
    Layout layout;
    std::vector<u64> metadata;
    FrameAllocator frames;

    explicit Fixture(Layout l = Layout()) : layout(l) {
        metadata.resize(FrameAllocator::metadata_bytes(layout.max_phys) / sizeof(u64) + 1);
        frames.init(metadata.data(), layout.max_phys);
        // Reserve before and after marking usable: order must not matter.
        frames.mark_reserved(layout.reserved[0].base, layout.reserved[0].length);
        for (auto& range : layout.usable)
            frames.mark_usable(range.base, range.length);
        for (auto& range : layout.reserved)
            frames.mark_reserved(range.base, range.length);
        frames.finalize();
    }

    u64 usable_frames() const {
        u64 count = 0;
        for (u64 f = 0; f < layout.max_phys / FRAME_SIZE; ++f)
            count += frame_is_usable(layout, f);
        return count;
    }
};

bool same_stats(const FrameStats& a, const FrameStats& b) {
    return std::memcmp(&a, &b, sizeof(a)) == 0;
}

std::vector<u64> free_blocks(const FrameStats& stats) {
    return std::vector<u64>(stats.free_blocks_per_order,
                            stats.free_blocks_per_order + MAX_ORDER + 1);
}

} // namespace

TEST_CASE("metadata stays small", "[frames]") {
    CHECK(FrameAllocator::metadata_bytes(64 * MiB) == 16384 * 12);
    CHECK(FrameAllocator::metadata_bytes(4095) == 0);
    CHECK(FrameAllocator::metadata_bytes(4096 * 3 + 17) == 3 * 12);
}

TEST_CASE("order_for_bytes rounds up to whole blocks", "[frames]") {
    CHECK(FrameAllocator::order_for_bytes(0) == 0);
    CHECK(FrameAllocator::order_for_bytes(1) == 0);
    CHECK(FrameAllocator::order_for_bytes(4096) == 0);
    CHECK(FrameAllocator::order_for_bytes(4097) == 1);
    CHECK(FrameAllocator::order_for_bytes(3 * 4096) == 2);
    CHECK(FrameAllocator::order_for_bytes(4 * MiB) == 10);
    CHECK(FrameAllocator::order_for_bytes(4 * MiB + 1) == 11);
    CHECK(FrameAllocator::order_for_bytes(~u64(0)) > MAX_ORDER);
}

TEST_CASE("holes and reserved regions are honoured", "[frames]") {
    Fixture fx;
    FrameStats stats = fx.frames.stats();
    CHECK(fx.usable_frames() == 7936 - 257 + 3838 + 1024 - 2);
    CHECK(stats.total_frames == fx.usable_frames());
    CHECK(stats.free_frames == stats.total_frames);
    CHECK(stats.used_frames == 0);
    CHECK(free_blocks(stats) == coalesced_blocks(fx.layout));
    CHECK(fx.frames.max_phys() == 64 * MiB);

    // Hand out every frame one at a time: each is usable, none twice.
    std::vector<bool> seen(fx.layout.max_phys / FRAME_SIZE, false);
    u64 count = 0;
    for (;;) {
        auto frame = fx.frames.allocate(0);
        if (frame.is_error()) {
            CHECK(frame.error() == Error::NoMemory);
            break;
        }
        u64 index = frame.value() / FRAME_SIZE;
        REQUIRE(index < seen.size());
        REQUIRE(frame_is_usable(fx.layout, index));
        REQUIRE_FALSE(seen[index]);
        seen[index] = true;
        ++count;
    }
    CHECK(count == stats.total_frames);
    for (u64 f = 0; f < seen.size(); ++f)
        CHECK(fx.frames.is_allocated(f * FRAME_SIZE) == seen[f]);
    // Frames of the kernel image, the partly reserved frames, the hole and the clipped tail.
    CHECK_FALSE(fx.frames.is_allocated(2 * MiB + 0x123));
    CHECK_FALSE(fx.frames.is_allocated(3 * MiB));
    CHECK_FALSE(fx.frames.is_allocated(61 * MiB));
    CHECK_FALSE(fx.frames.is_allocated(61 * MiB + 4096));
    CHECK_FALSE(fx.frames.is_allocated(32 * MiB));
    CHECK_FALSE(fx.frames.is_allocated(100 * MiB));
}

TEST_CASE("every order is aligned to its size", "[frames]") {
    Fixture fx;
    for (unsigned order = 0; order <= MAX_ORDER; ++order) {
        auto block = fx.frames.allocate(order);
        REQUIRE(block.has_value());
        u64 bytes = FRAME_SIZE << order;
        CHECK(block.value() % bytes == 0);
        for (u64 f = 0; f < (u64(1) << order); ++f) {
            CHECK(frame_is_usable(fx.layout, block.value() / FRAME_SIZE + f));
            CHECK(fx.frames.is_allocated(block.value() + f * FRAME_SIZE));
        }
        // Only the head of the block is a valid argument to free().
        if (order > 0)
            CHECK(fx.frames.free(block.value() + FRAME_SIZE, order).error() == Error::Invalid);
    }
    CHECK(fx.frames.allocate(MAX_ORDER + 1).error() == Error::Invalid);
    CHECK(fx.frames.stats().used_frames == (u64(1) << (MAX_ORDER + 1)) - 1);
}

TEST_CASE("exhaustion reports NoMemory and frees make room again", "[frames]") {
    Fixture fx;
    std::vector<PhysAddr> big;
    for (;;) {
        auto block = fx.frames.allocate(MAX_ORDER);
        if (block.is_error()) {
            CHECK(block.error() == Error::NoMemory);
            break;
        }
        big.push_back(block.value());
    }
    CHECK(big.size() == coalesced_blocks(fx.layout)[MAX_ORDER]);
    CHECK(fx.frames.stats().free_blocks_per_order[MAX_ORDER] == 0);

    std::vector<PhysAddr> small;
    for (;;) {
        auto frame = fx.frames.allocate(0);
        if (frame.is_error())
            break;
        small.push_back(frame.value());
    }
    FrameStats empty = fx.frames.stats();
    CHECK(empty.free_frames == 0);
    CHECK(empty.used_frames == empty.total_frames);
    for (unsigned order = 0; order <= MAX_ORDER; ++order) {
        CHECK(empty.free_blocks_per_order[order] == 0);
        CHECK(fx.frames.allocate(order).error() == Error::NoMemory);
    }
    CHECK(same_stats(fx.frames.stats(), empty));

    // One big block back: every order fits again, and it splits rather than failing.
    REQUIRE(fx.frames.free(big.back(), MAX_ORDER).has_value());
    big.pop_back();
    CHECK(fx.frames.stats().free_frames == 1024);
    auto two = fx.frames.allocate(1);
    REQUIRE(two.has_value());
    // Splitting left one buddy behind at each order below the big block.
    CHECK(fx.frames.stats().free_blocks_per_order[0] == 0);
    for (unsigned order = 1; order < MAX_ORDER; ++order)
        CHECK(fx.frames.stats().free_blocks_per_order[order] == 1);
    CHECK(fx.frames.stats().free_blocks_per_order[MAX_ORDER] == 0);
    REQUIRE(fx.frames.free(two.value(), 1).has_value());
    CHECK(fx.frames.stats().free_blocks_per_order[MAX_ORDER] == 1);

    for (PhysAddr frame : small)
        REQUIRE(fx.frames.free(frame, 0).has_value());
    for (PhysAddr block : big)
        REQUIRE(fx.frames.free(block, MAX_ORDER).has_value());
    CHECK(free_blocks(fx.frames.stats()) == coalesced_blocks(fx.layout));
}

TEST_CASE("freeing everything in random order coalesces to the initial layout", "[frames]") {
    Fixture fx;
    FrameStats initial = fx.frames.stats();
    std::mt19937_64 random(42);
    for (int round = 0; round < 3; ++round) {
        std::vector<std::pair<PhysAddr, unsigned>> blocks;
        // Mixed orders until nothing at all is left.
        for (;;) {
            unsigned order = random() % (MAX_ORDER + 1);
            auto block = fx.frames.allocate(order);
            if (block.has_value()) {
                blocks.push_back({block.value(), order});
                continue;
            }
            // Too fragmented for that order: single frames mop up the rest.
            auto frame = fx.frames.allocate(0);
            if (frame.is_error())
                break;
            blocks.push_back({frame.value(), 0});
        }
        CHECK(fx.frames.stats().free_frames == 0);
        std::shuffle(blocks.begin(), blocks.end(), random);
        for (auto [address, order] : blocks)
            REQUIRE(fx.frames.free(address, order).has_value());
        CHECK(same_stats(fx.frames.stats(), initial));
    }
}

TEST_CASE("bad frees are refused and change nothing", "[frames]") {
    Fixture fx;
    auto block = fx.frames.allocate(2);
    auto frame = fx.frames.allocate(0);
    REQUIRE(block.has_value());
    REQUIRE(frame.has_value());
    FrameStats before = fx.frames.stats();

    auto refused = [&](PhysAddr address, unsigned order) {
        auto result = fx.frames.free(address, order);
        return result.is_error() && result.error() == Error::Invalid &&
               same_stats(fx.frames.stats(), before);
    };
    CHECK(refused(block.value(), 0));                  // wrong order, smaller
    CHECK(refused(block.value(), 3));                  // wrong order, larger
    CHECK(refused(block.value() + 2 * FRAME_SIZE, 0)); // inside the block
    CHECK(refused(block.value() + 1, 2));              // not frame aligned
    CHECK(refused(frame.value(), MAX_ORDER + 1));
    CHECK(refused(32 * MiB, 0));         // a hole
    CHECK(refused(2 * MiB + 0x1000, 0)); // the kernel image
    CHECK(refused(200 * MiB, 0));        // beyond max_phys
    CHECK(refused(~u64(0) & ~(FRAME_SIZE - 1), 0));

    // A free frame that was never allocated: find one through is_allocated.
    PhysAddr never = 0;
    for (PhysAddr a = 1 * MiB; a < 32 * MiB; a += FRAME_SIZE) {
        if (frame_is_usable(fx.layout, a / FRAME_SIZE) && !fx.frames.is_allocated(a)) {
            never = a;
            break;
        }
    }
    REQUIRE(never != 0);
    CHECK(refused(never, 0));

    REQUIRE(fx.frames.free(frame.value(), 0).has_value());
    before = fx.frames.stats();
    CHECK(refused(frame.value(), 0)); // double free
    REQUIRE(fx.frames.free(block.value(), 2).has_value());
    before = fx.frames.stats();
    CHECK(refused(block.value(), 2)); // double free after coalescing
    CHECK(free_blocks(before) == coalesced_blocks(fx.layout));
}

TEST_CASE("an allocator with no usable memory hands out nothing", "[frames]") {
    std::vector<u64> metadata(FrameAllocator::metadata_bytes(4 * MiB) / 8 + 1);
    FrameAllocator frames;
    frames.init(metadata.data(), 4 * MiB);
    frames.mark_usable(0, 4 * MiB);
    frames.mark_reserved(0, 4 * MiB);
    frames.finalize();
    CHECK(frames.stats().total_frames == 0);
    CHECK(frames.allocate(0).error() == Error::NoMemory);
    CHECK(frames.free(0, 0).error() == Error::Invalid);
}

TEST_CASE("frame allocator: randomized operations agree with a reference model", "[frames]") {
    Fixture fx;
    FrameStats initial = fx.frames.stats();
    std::vector<bool> used(fx.layout.max_phys / FRAME_SIZE, false);
    std::map<PhysAddr, unsigned> live;
    std::vector<PhysAddr> addresses; // live keys in insertion order, for random picks
    u64 used_frames = 0;
    std::mt19937_64 random(7);

    for (int op = 0; op < 10000; ++op) {
        unsigned action = random() % 100;
        if (action < 55 || live.empty()) {
            // Small orders dominate, as in a kernel.
            unsigned order = random() % 4 == 0 ? random() % (MAX_ORDER + 1) : random() % 3;
            FrameStats before = fx.frames.stats();
            auto block = fx.frames.allocate(order);
            if (block.is_error()) {
                REQUIRE(block.error() == Error::NoMemory);
                for (unsigned k = order; k <= MAX_ORDER; ++k)
                    REQUIRE(before.free_blocks_per_order[k] == 0);
                REQUIRE(same_stats(fx.frames.stats(), before));
                continue;
            }
            PhysAddr address = block.value();
            REQUIRE(address % (FRAME_SIZE << order) == 0);
            for (u64 f = 0; f < (u64(1) << order); ++f) {
                u64 index = address / FRAME_SIZE + f;
                REQUIRE(frame_is_usable(fx.layout, index));
                REQUIRE_FALSE(used[index]);
                used[index] = true;
            }
            used_frames += u64(1) << order;
            live[address] = order;
            addresses.push_back(address);
        } else if (action < 95) {
            size_t pick = random() % addresses.size();
            PhysAddr address = addresses[pick];
            addresses[pick] = addresses.back();
            addresses.pop_back();
            unsigned order = live[address];
            live.erase(address);
            REQUIRE(fx.frames.free(address, order).has_value());
            for (u64 f = 0; f < (u64(1) << order); ++f)
                used[address / FRAME_SIZE + f] = false;
            used_frames -= u64(1) << order;
        } else {
            // A bad free: either a wrong order for a live block or a frame no block starts at.
            FrameStats before = fx.frames.stats();
            PhysAddr address = addresses[random() % addresses.size()];
            unsigned order = live[address];
            unsigned wrong = (order + 1 + random() % MAX_ORDER) % (MAX_ORDER + 1);
            REQUIRE(fx.frames.free(address, wrong).error() == Error::Invalid);
            PhysAddr other = (random() % used.size()) * FRAME_SIZE;
            if (live.count(other) == 0)
                REQUIRE(fx.frames.free(other, random() % (MAX_ORDER + 1)).error() ==
                        Error::Invalid);
            REQUIRE(same_stats(fx.frames.stats(), before));
        }

        FrameStats stats = fx.frames.stats();
        REQUIRE(stats.used_frames == used_frames);
        REQUIRE(stats.free_frames + stats.used_frames == stats.total_frames);
        u64 from_lists = 0;
        for (unsigned k = 0; k <= MAX_ORDER; ++k)
            from_lists += stats.free_blocks_per_order[k] << k;
        REQUIRE(from_lists == stats.free_frames);
        u64 probe = random() % used.size();
        REQUIRE(fx.frames.is_allocated(probe * FRAME_SIZE) == used[probe]);
    }

    for (auto [address, order] : live)
        REQUIRE(fx.frames.free(address, order).has_value());
    CHECK(same_stats(fx.frames.stats(), initial));
}
