// Physical frame allocator: a binary buddy allocator over 4 KiB frames.
//
// Metadata lives outside the frames it describes (one FrameInfo per frame, like Linux's struct
// page), so the allocator never touches the memory it hands out and host tests can run it over
// address ranges that are not backed by anything.
//
// Set-up order: init() -> mark_usable()/mark_reserved() in any order -> finalize(). A frame is
// allocatable when it was marked usable and not reserved (reserved wins). After finalize()
// allocate()/free() are O(MAX_ORDER).
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace kernel {

using PhysAddr = nk::u64;
constexpr nk::u64 FRAME_SIZE = 4096;

struct FrameStats {
    nk::u64 total_frames; // frames that were usable after finalize()
    nk::u64 free_frames;
    nk::u64 used_frames; // total_frames - free_frames
    nk::u64 free_blocks_per_order[11];
};

class FrameAllocator {
public:
    // Largest block: 2^MAX_ORDER frames (4 MiB).
    static constexpr unsigned MAX_ORDER = 10;

    // Bytes of metadata needed to describe every frame below max_phys.
    static nk::u64 metadata_bytes(PhysAddr max_phys);

    // metadata: metadata_bytes(max_phys) bytes, 8-byte aligned, owned by the allocator afterwards.
    // Every frame starts out unusable.
    void init(void* metadata, PhysAddr max_phys);
    // Rounds inward to whole frames; ranges beyond max_phys are clipped.
    void mark_usable(PhysAddr base, nk::u64 length);
    // Rounds outward to whole frames (a partly reserved frame is reserved).
    void mark_reserved(PhysAddr base, nk::u64 length);
    // Builds the free lists. Must be called once before allocate().
    void finalize();

    // 2^order contiguous frames, aligned to their size. Error::NoMemory when none is free,
    // Error::Invalid for order > MAX_ORDER.
    nk::Result<PhysAddr> allocate(unsigned order = 0);
    // Returns a block obtained from allocate(order). Error::Invalid when the address is not the
    // start of an allocated block of that order (double free, wrong order, never allocated);
    // nothing changes in that case.
    nk::ErrorOr free(PhysAddr address, unsigned order = 0);

    bool is_allocated(PhysAddr frame) const;
    FrameStats stats() const;
    PhysAddr max_phys() const { return m_frame_count * FRAME_SIZE; }

    // Smallest order whose block holds `bytes`.
    static unsigned order_for_bytes(nk::u64 bytes);

private:
    struct FrameInfo;
    // Link/unlink a free block headed by frame `index` (free lists and free counters together).
    void push_free(nk::u64 index, unsigned order);
    void remove_free(nk::u64 index);

    FrameInfo* m_frames = nullptr;
    nk::u64 m_frame_count = 0;
    nk::u32 m_free_heads[MAX_ORDER + 1] = {};
    nk::u64 m_free_blocks[MAX_ORDER + 1] = {};
    nk::u64 m_total_frames = 0;
    nk::u64 m_free_frames = 0;
    bool m_finalized = false;
};

} // namespace kernel
