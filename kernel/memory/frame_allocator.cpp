// Binary buddy allocator over 4 KiB frames (see frame_allocator.h for the contract).
//
// Only the first frame of a block (its head) carries state: a free head is linked into the free
// list of its order, an allocated head remembers the order it was handed out with. Every other
// frame of a block has neither flag, which is what lets free() reject double frees, wrong orders
// and interior pointers by looking at one FrameInfo.
#include <kernel/memory/frame_allocator.h>

namespace kernel {

using nk::u32;
using nk::u64;
using nk::u8;

namespace {

// Free lists are linked by frame index; u32 indices keep FrameInfo small and cover 16 TiB.
constexpr u32 NO_FRAME = 0xFFFFFFFF;
constexpr u64 MAX_FRAMES = NO_FRAME; // the sentinel itself is never a frame index

constexpr u8 FLAG_USABLE = 1 << 0;
constexpr u8 FLAG_RESERVED = 1 << 1;
constexpr u8 FLAG_FREE_HEAD = 1 << 2;
constexpr u8 FLAG_ALLOCATED_HEAD = 1 << 3;

u64 frame_count_for(PhysAddr max_phys) {
    return nk::min(max_phys / FRAME_SIZE, MAX_FRAMES);
}

u64 block_frames(unsigned order) {
    return u64(1) << order;
}

} // namespace

struct FrameAllocator::FrameInfo {
    u32 next; // free-list links, meaningful only on a free head
    u32 prev;
    u8 order; // of the block this frame heads, meaningful only on a head
    u8 flags;
};
u64 FrameAllocator::metadata_bytes(PhysAddr max_phys) {
    static_assert(sizeof(FrameInfo) == 12, "metadata cost per frame is part of the design");
    return frame_count_for(max_phys) * sizeof(FrameInfo);
}

unsigned FrameAllocator::order_for_bytes(u64 bytes) {
    unsigned order = 0;
    // Compare in frames so that bytes near 2^64 cannot overflow the shift.
    u64 frames = bytes / FRAME_SIZE + (bytes % FRAME_SIZE ? 1 : 0);
    while (order < 63 && block_frames(order) < frames)
        ++order;
    return order;
}

void FrameAllocator::init(void* metadata, PhysAddr max_phys) {
    m_frames = static_cast<FrameInfo*>(metadata);
    m_frame_count = frame_count_for(max_phys);
    for (u64 i = 0; i < m_frame_count; ++i)
        m_frames[i] = FrameInfo{NO_FRAME, NO_FRAME, 0, 0};
    for (unsigned order = 0; order <= MAX_ORDER; ++order) {
        m_free_heads[order] = NO_FRAME;
        m_free_blocks[order] = 0;
    }
    m_total_frames = 0;
    m_free_frames = 0;
    m_finalized = false;
}

void FrameAllocator::mark_usable(PhysAddr base, u64 length) {
    // The memory map is only consulted while setting up; later changes would bypass the lists.
    if (m_finalized || length == 0)
        return;
    u64 end = base + length;
    if (end < base)
        end = ~u64(0);
    // Inward: a frame is usable only if all of it is.
    u64 first = base / FRAME_SIZE + (base % FRAME_SIZE ? 1 : 0);
    u64 last = nk::min(end / FRAME_SIZE, m_frame_count);
    for (u64 i = first; i < last; ++i)
        m_frames[i].flags |= FLAG_USABLE;
}

void FrameAllocator::mark_reserved(PhysAddr base, u64 length) {
    if (m_finalized || length == 0)
        return;
    u64 end = base + length;
    if (end < base)
        end = ~u64(0);
    // Outward: a frame holding any reserved byte must never be handed out.
    u64 first = base / FRAME_SIZE;
    u64 last = nk::min(end / FRAME_SIZE + (end % FRAME_SIZE ? 1 : 0), m_frame_count);
    for (u64 i = first; i < last; ++i)
        m_frames[i].flags |= FLAG_RESERVED;
}

void FrameAllocator::finalize() {
    if (m_finalized)
        return;
    m_finalized = true;
    u64 i = 0;
    while (i < m_frame_count) {
        auto allocatable = [this](u64 frame) {
            return (m_frames[frame].flags & (FLAG_USABLE | FLAG_RESERVED)) == FLAG_USABLE;
        };
        if (!allocatable(i)) {
            ++i;
            continue;
        }
        u64 run_end = i;
        while (run_end < m_frame_count && allocatable(run_end))
            ++run_end;
        m_total_frames += run_end - i;
        // Greedy carving into the largest aligned blocks yields exactly the layout that freeing
        // everything coalesces back to, so "all free" always looks the same.
        while (i < run_end) {
            unsigned order = MAX_ORDER;
            while (order > 0 && (i % block_frames(order) != 0 || i + block_frames(order) > run_end))
                --order;
            push_free(i, order);
            i += block_frames(order);
        }
    }
}

void FrameAllocator::push_free(u64 index, unsigned order) {
    FrameInfo& info = m_frames[index];
    info.flags = (info.flags & ~FLAG_ALLOCATED_HEAD) | FLAG_FREE_HEAD;
    info.order = static_cast<u8>(order);
    info.prev = NO_FRAME;
    info.next = m_free_heads[order];
    if (info.next != NO_FRAME)
        m_frames[info.next].prev = static_cast<u32>(index);
    m_free_heads[order] = static_cast<u32>(index);
    ++m_free_blocks[order];
    m_free_frames += block_frames(order);
}

void FrameAllocator::remove_free(u64 index) {
    FrameInfo& info = m_frames[index];
    unsigned order = info.order;
    if (info.prev != NO_FRAME)
        m_frames[info.prev].next = info.next;
    else
        m_free_heads[order] = info.next;
    if (info.next != NO_FRAME)
        m_frames[info.next].prev = info.prev;
    info.next = info.prev = NO_FRAME;
    info.flags &= ~FLAG_FREE_HEAD;
    --m_free_blocks[order];
    m_free_frames -= block_frames(order);
}

nk::Result<PhysAddr> FrameAllocator::allocate(unsigned order) {
    if (order > MAX_ORDER)
        return nk::Error::Invalid;
    if (!m_finalized)
        return nk::Error::NoMemory;
    unsigned found = order;
    while (found <= MAX_ORDER && m_free_heads[found] == NO_FRAME)
        ++found;
    if (found > MAX_ORDER)
        return nk::Error::NoMemory;

    u64 index = m_free_heads[found];
    remove_free(index);
    // Split off the upper halves until the block has the requested size.
    while (found > order) {
        --found;
        push_free(index + block_frames(found), found);
    }
    m_frames[index].flags |= FLAG_ALLOCATED_HEAD;
    m_frames[index].order = static_cast<u8>(order);
    return index * FRAME_SIZE;
}

nk::ErrorOr FrameAllocator::free(PhysAddr address, unsigned order) {
    if (order > MAX_ORDER || address % FRAME_SIZE != 0)
        return nk::Error::Invalid;
    u64 index = address / FRAME_SIZE;
    if (index >= m_frame_count)
        return nk::Error::Invalid;
    FrameInfo& info = m_frames[index];
    if (!(info.flags & FLAG_ALLOCATED_HEAD) || info.order != order)
        return nk::Error::Invalid;

    info.flags &= ~FLAG_ALLOCATED_HEAD;
    // Merge while the buddy is a whole free block of the same order. Free heads only ever cover
    // allocatable frames, so merging never swallows a hole or a reserved frame.
    while (order < MAX_ORDER) {
        u64 buddy = index ^ block_frames(order);
        if (buddy >= m_frame_count)
            break;
        const FrameInfo& buddy_info = m_frames[buddy];
        if (!(buddy_info.flags & FLAG_FREE_HEAD) || buddy_info.order != order)
            break;
        remove_free(buddy);
        index = nk::min(index, buddy);
        ++order;
    }
    push_free(index, order);
    return {};
}

bool FrameAllocator::is_allocated(PhysAddr frame) const {
    u64 index = frame / FRAME_SIZE;
    if (index >= m_frame_count)
        return false;
    // The block containing a frame of order k starts at the frame rounded down to 2^k, so one
    // probe per order finds it.
    for (unsigned order = 0; order <= MAX_ORDER; ++order) {
        const FrameInfo& head = m_frames[index & ~(block_frames(order) - 1)];
        if (head.order != order)
            continue;
        if (head.flags & FLAG_ALLOCATED_HEAD)
            return true;
        if (head.flags & FLAG_FREE_HEAD)
            return false;
    }
    return false;
}

FrameStats FrameAllocator::stats() const {
    FrameStats stats = {};
    stats.total_frames = m_total_frames;
    stats.free_frames = m_free_frames;
    stats.used_frames = m_total_frames - m_free_frames;
    for (unsigned order = 0; order <= MAX_ORDER; ++order)
        stats.free_blocks_per_order[order] = m_free_blocks[order];
    return stats;
}

} // namespace kernel
