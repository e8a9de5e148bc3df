// In-kernel tests of the frame allocator and the kernel heap on the real machine's memory.
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/sched/scheduler.h>
#include <kernel/sync/semaphore.h>
#include <kernel/test/ktest.h>
#include <kernel/time/clock.h>

#include <string.h>

using namespace kernel;

KTEST(frames_allocate_write_free) {
    auto& frames = memory::frames();
    FrameStats before = frames.stats();
    auto frame = frames.allocate(0);
    KREQUIRE(frame.has_value());
    KEXPECT(frame.value() % FRAME_SIZE == 0);
    KEXPECT(frames.is_allocated(frame.value()));
    // The frame is real memory reachable through the physmap.
    auto* bytes = phys_to_virt<nk::u8>(frame.value());
    memset(bytes, 0x5a, FRAME_SIZE);
    KEXPECT(bytes[0] == 0x5a && bytes[FRAME_SIZE - 1] == 0x5a);
    KEXPECT(frames.stats().free_frames == before.free_frames - 1);
    KEXPECT(frames.free(frame.value(), 0).has_value());
    KEXPECT(frames.stats().free_frames == before.free_frames);
    // A second free of the same frame is refused.
    KEXPECT(frames.free(frame.value(), 0).is_error());
}

KTEST(frames_large_block_is_aligned_and_contiguous) {
    auto& frames = memory::frames();
    auto block = frames.allocate(4); // 16 frames, 64 KiB
    KREQUIRE(block.has_value());
    KEXPECT(block.value() % (16 * FRAME_SIZE) == 0);
    for (nk::u64 i = 0; i < 16; ++i)
        KEXPECT(frames.is_allocated(block.value() + i * FRAME_SIZE));
    KEXPECT(frames.free(block.value(), 4).has_value());
}

extern "C" char __kernel_phys_start[], __kernel_phys_end[];

KTEST(frames_never_hands_out_low_memory_or_the_kernel) {
    // Low memory (BIOS, VGA) and the kernel image are never handed out: take many frames and
    // check each.
    auto kernel_start = reinterpret_cast<nk::u64>(__kernel_phys_start);
    auto kernel_end = reinterpret_cast<nk::u64>(__kernel_phys_end);
    nk::u64 taken[64];
    unsigned count = 0;
    for (; count < 64; ++count) {
        auto frame = memory::frames().allocate(0);
        if (frame.is_error())
            break;
        taken[count] = frame.value();
        KEXPECT(frame.value() >= 1 * nk::MiB);
        KEXPECT(frame.value() >= kernel_end || frame.value() + FRAME_SIZE <= kernel_start);
    }
    for (unsigned i = 0; i < count; ++i)
        KEXPECT(memory::frames().free(taken[i], 0).has_value());
}

namespace {

// One thread's share of the concurrency test: allocate blocks of mixed orders, stamp each frame
// with the thread's tag, check the stamps survived, free them, until the deadline. A preempted
// allocate() interleaving with another thread's free() shows up as a block handed out twice (a
// stamp overwritten), a refused free, or frames missing at the end.
struct FrameChurn {
    nk::u64 tag = 0;
    nk::u64 deadline_ns = 0;
    nk::u64 rounds = 0;
    nk::u64 failures = 0;
    Semaphore start;
    Semaphore done;
    Semaphore exit;
};

void churn_frames(void* argument) {
    auto* churn = static_cast<FrameChurn*>(argument);
    constexpr unsigned BLOCKS = 24;
    churn->start.down();
    while (clock::nanoseconds_since_boot() < churn->deadline_ns) {
        PhysAddr blocks[BLOCKS];
        unsigned orders[BLOCKS];
        unsigned held = 0;
        for (unsigned i = 0; i < BLOCKS; ++i) {
            unsigned order = (i + churn->rounds) % 4;
            auto block = memory::frames().allocate(order);
            if (block.is_error())
                continue;
            for (nk::u64 f = 0; f < (1u << order); ++f)
                *phys_to_virt<volatile nk::u64>(block.value() + f * FRAME_SIZE) = churn->tag;
            blocks[held] = block.value();
            orders[held++] = order;
        }
        for (unsigned i = 0; i < held; ++i) {
            for (nk::u64 f = 0; f < (1u << orders[i]); ++f) {
                if (*phys_to_virt<volatile nk::u64>(blocks[i] + f * FRAME_SIZE) != churn->tag)
                    ++churn->failures;
            }
            if (memory::frames().free(blocks[i], orders[i]).is_error())
                ++churn->failures;
        }
        ++churn->rounds;
    }
    churn->done.up();
    churn->exit.down(); // keeps the stack until the frame count has been compared
}

} // namespace

KTEST(frames_survive_concurrent_threads) {
    // Three threads preempting each other at the 1 kHz tick for 1 s. The threads exist (their
    // stacks are frames) before the count is taken and until it is compared.
    FrameChurn churns[3];
    for (unsigned i = 0; i < 3; ++i) {
        churns[i].tag = 0x1111 * (i + 1);
        auto thread = sched::create_thread("test-frames", churn_frames, &churns[i]);
        KREQUIRE(thread.has_value());
        sched::start(thread.value());
    }
    FrameStats before = memory::frames().stats();
    nk::u64 deadline = clock::nanoseconds_since_boot() + 1'000'000'000;
    for (auto& churn : churns) {
        churn.deadline_ns = deadline;
        churn.start.up();
    }
    for (auto& churn : churns)
        KREQUIRE(churn.done.down_for(5000));
    nk::u64 free_after = memory::frames().stats().free_frames;
    for (auto& churn : churns)
        churn.exit.up();
    for (auto& churn : churns) {
        KEXPECT(churn.rounds > 0);
        KEXPECT(churn.failures == 0);
    }
    KEXPECT(free_after == before.free_frames);
    sched::sleep_ms(2); // the threads exit before their semaphores go out of scope
}

KTEST(heap_kmalloc_kfree_returns_to_baseline) {
    HeapStats before = memory::kernel_heap().stats();
    void* blocks[32];
    for (unsigned i = 0; i < 32; ++i) {
        blocks[i] = kmalloc(16u << (i % 9)); // 16 B .. 4 KiB, small and large
        KREQUIRE(blocks[i] != nullptr);
        KEXPECT(reinterpret_cast<nk::u64>(blocks[i]) % 16 == 0);
        memset(blocks[i], int(i), 16u << (i % 9));
    }
    for (unsigned i = 0; i < 32; ++i) {
        KEXPECT(static_cast<nk::u8*>(blocks[i])[0] == i);
        kfree(blocks[i]);
    }
    HeapStats after = memory::kernel_heap().stats();
    KEXPECT(after.live_allocations == before.live_allocations);
    KEXPECT(after.bytes_requested == before.bytes_requested);
}

KTEST(heap_detects_double_free) {
    Heap& heap = memory::kernel_heap();
    auto block = heap.allocate(48);
    KREQUIRE(block.has_value());
    KEXPECT(heap.free(block.value()).has_value());
    auto again = heap.free(block.value());
    KEXPECT(again.is_error() && again.error() == nk::Error::Invalid);
}

KTEST(heap_operator_new_and_delete) {
    struct Widget {
        int a = 7;
        long b = 9;
    };
    HeapStats before = memory::kernel_heap().stats();
    Widget* widget = new Widget;
    KREQUIRE(widget != nullptr);
    KEXPECT(widget->a == 7 && widget->b == 9);
    KEXPECT(memory::kernel_heap().stats().live_allocations == before.live_allocations + 1);
    delete widget;
    int* array = new int[100];
    KREQUIRE(array != nullptr);
    delete[] array;
    KEXPECT(memory::kernel_heap().stats().live_allocations == before.live_allocations);
}
