// In-kernel tests of what an extension obtains beyond memory: threads, mutexes, registered
// block and network devices and file-system types — used through the kernel's own interfaces,
// tracked, and released by unload and by recovery.
#include <kernel/block/block_device.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/net/net_device.h>
#include <kernel/sched/scheduler.h>
#include <kernel/test/ktest.h>
#include <nooks/crash_test.h>
#include <nooks/device_classes.h>
#include <nooks/extension_manager.h>
#include <nooks/nooks.h>
#include <nooks/test_extension.h>
#include <nooks/xpc.h>

#include <stdio.h>
#include <string.h>

#include "nooks_test_support.h"

using namespace kernel;

namespace {

bool wait_for_count_above(nooks::Extension& extension, long floor) {
    for (int waited = 0; waited < 2000; ++waited) {
        auto count = test_objects(extension, NOOKS_TEST_WORKER_COUNT);
        if (count.has_value() && count.value() > floor)
            return true;
        sched::sleep_ms(1);
    }
    return false;
}

struct Received {
    nk::u8 frame[64];
    nk::usize length;
    unsigned frames;
};

void on_frame(net::NetDevice&, const nk::u8* frame, nk::usize length, void* context) {
    auto* received = static_cast<Received*>(context);
    received->length = length;
    memcpy(received->frame, frame, nk::min<nk::usize>(length, sizeof received->frame));
    ++received->frames;
}

// Uses the three registered objects through the kernel's interfaces.
void exercise_registered_objects(ktest::TestContext& ktest_context) {
    block::BlockDevice* disk = block::find("tblk0");
    KREQUIRE(disk != nullptr);
    KEXPECT(disk->sector_size() == 512 && disk->sector_count() == 64);
    nk::u8 out[1024];
    nk::u8 in[1024] = {};
    for (unsigned i = 0; i < sizeof out; ++i)
        out[i] = nk::u8(i * 7 + 3);
    KEXPECT(disk->write(62, 2, out).has_value());
    KEXPECT(disk->read(62, 2, in).has_value());
    KEXPECT(memcmp(in, out, sizeof in) == 0);
    KEXPECT(disk->flush().has_value());
    auto past_end = disk->read(63, 2, in);
    KEXPECT(past_end.is_error() && past_end.error() == nk::Error::Invalid);
    disk->unref();

    net::NetDevice* nic = net::find("tnet0");
    KREQUIRE(nic != nullptr);
    Received received = {};
    nic->set_receive_hook(on_frame, &received);
    KEXPECT(nic->open().has_value());
    nk::u8 frame[60];
    for (unsigned i = 0; i < sizeof frame; ++i)
        frame[i] = nk::u8(0xa0 + i);
    KEXPECT(nic->transmit(frame, sizeof frame).has_value());
    KEXPECT(received.frames == 1 && received.length == sizeof frame);
    KEXPECT(memcmp(received.frame, frame, sizeof frame) == 0);
    auto runt = nic->transmit(frame, 10);
    KEXPECT(runt.is_error() && runt.error() == nk::Error::Invalid);
    nic->stop();
    nic->unref();

    KEXPECT(nooks::find_file_system("testfs") != nullptr);
}

bool nothing_registered() {
    return block::find("tblk0") == nullptr && net::find("tnet0") == nullptr &&
           nooks::find_file_system("testfs") == nullptr;
}

} // namespace

KTEST(nooks_extension_threads_and_mutexes) {
    settle_heap();
    auto frames_before = memory::frames().stats().free_frames;
    auto threads_before = sched::stats().live_threads;
    nooks::Extension* extension = load_isolated_test_extension();
    KREQUIRE(extension != nullptr);
    KEXPECT(test_objects(*extension, NOOKS_TEST_START_WORKER).value_or(-1) == 0);
    KEXPECT(extension->tracker.count(nooks::ObjectKind::Thread) == 1);
    KEXPECT(extension->tracker.count(nooks::ObjectKind::Mutex) == 1);
    // The worker runs in the domain, sleeping between rounds, well past the 500 ms watchdog:
    // blocking is not hanging.
    KEXPECT(wait_for_count_above(*extension, 3));
    sched::sleep_ms(600);
    KEXPECT(extension->state == nooks::ExtensionState::Running);
    KEXPECT(extension->faults == 0);
    auto stopped = test_objects(*extension, NOOKS_TEST_STOP_WORKER);
    KEXPECT(stopped.has_value() && stopped.value() > 3);
    KEXPECT(extension->tracker.total() == 0);
    KEXPECT(sched::stats().live_threads == threads_before);
    KEXPECT(nooks::unload_extension("test").has_value());
    KEXPECT(memory::frames().stats().free_frames == frames_before);
}

KTEST(nooks_unload_stops_running_threads) {
    settle_heap();
    auto threads_before = sched::stats().live_threads;
    nooks::Extension* extension = load_isolated_test_extension();
    KREQUIRE(extension != nullptr);
    KEXPECT(test_objects(*extension, NOOKS_TEST_START_WORKER).value_or(-1) == 0);
    KEXPECT(wait_for_count_above(*extension, 1));
    // The extension never stops its worker itself: the unload must.
    KEXPECT(nooks::unload_extension("test").has_value());
    sched::sleep_ms(5); // the exited thread's stack is freed by the next switch
    KEXPECT(sched::stats().live_threads == threads_before);
}

KTEST(nooks_crash_breaks_locks_and_ends_threads) {
    settle_heap();
    auto frames_before = memory::frames().stats().free_frames;
    auto threads_before = sched::stats().live_threads;
    nooks::Extension* extension = load_isolated_test_extension();
    KREQUIRE(extension != nullptr);
    KEXPECT(test_objects(*extension, NOOKS_TEST_START_WORKER).value_or(-1) == 0);
    KEXPECT(wait_for_count_above(*extension, 1));
    // Faults while holding the mutex the worker needs: the worker blocks on it, recovery must
    // break it open and get the worker out of the extension.
    auto crashed = test_objects(*extension, NOOKS_TEST_CRASH_HOLDING_LOCK);
    KEXPECT(crashed.is_error() && crashed.error() == nk::Error::Aborted);
    KEXPECT(wait_until_settled(*extension));
    KEXPECT(extension->state == nooks::ExtensionState::Running);
    KEXPECT(extension->restarts == 1);
    KEXPECT(extension->tracker.total() == 0);
    sched::sleep_ms(5);
    KEXPECT(sched::stats().live_threads == threads_before);
    // The new incarnation starts its own worker and stops it cleanly.
    KEXPECT(test_objects(*extension, NOOKS_TEST_START_WORKER).value_or(-1) == 0);
    KEXPECT(wait_for_count_above(*extension, 1));
    KEXPECT(test_objects(*extension, NOOKS_TEST_STOP_WORKER).has_value());
    KEXPECT(nooks::unload_extension("test").has_value());
    KEXPECT(memory::frames().stats().free_frames == frames_before);
}

KTEST(nooks_registered_devices_work_and_go_with_the_extension) {
    // Twice: the first round warms the slab size classes the device records use, the second
    // must leave memory exactly where it found it.
    const nooks::ExtensionMode modes[] = {nooks::ExtensionMode::Native,
                                          nooks::ExtensionMode::Isolated};
    nk::u64 frames_before = 0;
    nk::u64 heap_before = 0;
    for (unsigned round = 0; round < 2; ++round) {
        if (round == 1) {
            frames_before = memory::frames().stats().free_frames;
            heap_before = memory::kernel_heap().stats().live_allocations;
        }
        for (auto mode : modes) {
            nooks::Extension* extension = load_test_extension(mode);
            KREQUIRE(extension != nullptr);
            KEXPECT(test_objects(*extension, NOOKS_TEST_REGISTER).value_or(-1) == 0);
            KEXPECT(extension->tracker.count(nooks::ObjectKind::BlockDevice) == 1);
            KEXPECT(extension->tracker.count(nooks::ObjectKind::NetDevice) == 1);
            KEXPECT(extension->tracker.count(nooks::ObjectKind::FileSystem) == 1);
            exercise_registered_objects(ktest_context);
            // A file system's view: the extension opens the device and reads the sector written
            // through the block layer above (bytes i*7+3 of 0..511: sum known).
            long expected = 0;
            for (unsigned i = 0; i < 512; ++i)
                expected += nk::u8(i * 7 + 3);
            KEXPECT(test_objects(*extension, NOOKS_TEST_READ_BLOCK, 62).value_or(-1) == expected);
            KEXPECT(extension->tracker.count(nooks::ObjectKind::BlockClient) == 0);
            // Unregistered by the extension itself.
            KEXPECT(test_objects(*extension, NOOKS_TEST_UNREGISTER).value_or(-1) == 0);
            KEXPECT(nothing_registered());
            // Registered again, then unloaded without unregistering: the unload does it.
            KEXPECT(test_objects(*extension, NOOKS_TEST_REGISTER).value_or(-1) == 0);
            block::BlockDevice* held = block::find("tblk0");
            KREQUIRE(held != nullptr);
            KEXPECT(nooks::unload_extension("test").has_value());
            KEXPECT(nothing_registered());
            // A user still holding the device gets an error, not a call into freed code.
            nk::u8 sector[512];
            auto gone = held->read(0, 1, sector);
            KEXPECT(gone.is_error() && gone.error() == nk::Error::NoDevice);
            held->unref();
        }
    }
    KEXPECT(memory::frames().stats().free_frames == frames_before);
    KEXPECT(memory::kernel_heap().stats().live_allocations == heap_before);
}

KTEST(nooks_recovery_unregisters_devices) {
    settle_heap();
    auto frames_before = memory::frames().stats().free_frames;
    nooks::Extension* extension = load_isolated_test_extension();
    KREQUIRE(extension != nullptr);
    KEXPECT(test_objects(*extension, NOOKS_TEST_REGISTER).value_or(-1) == 0);
    net::NetDevice* held = net::find("tnet0");
    KREQUIRE(held != nullptr);
    // A wild buffer handed to nk_block_read fails the extension (wrapper check) ...
    auto wild = test_objects(*extension, NOOKS_TEST_READ_BLOCK_INTO, 0xffffffff80100000l);
    KEXPECT(wild.is_error() && wild.error() == nk::Error::Aborted);
    KEXPECT(wait_until_settled(*extension));
    KEXPECT(extension->state == nooks::ExtensionState::Running);
    KEXPECT(extension->check_failures == 1);
    // ... and its recovery unregistered everything the old incarnation registered.
    KEXPECT(nothing_registered());
    KEXPECT(extension->tracker.total() == 0);
    nk::u8 frame[60] = {};
    auto gone = held->transmit(frame, sizeof frame);
    KEXPECT(gone.is_error() && gone.error() == nk::Error::NoDevice);
    held->unref();
    // The new incarnation registers them afresh.
    KEXPECT(test_objects(*extension, NOOKS_TEST_REGISTER).value_or(-1) == 0);
    exercise_registered_objects(ktest_context);
    KEXPECT(nooks::unload_extension("test").has_value());
    KEXPECT(nothing_registered());
    KEXPECT(memory::frames().stats().free_frames == frames_before);
}

// `ext crash` on an extension without a crash entry point: the fault is injected into its next
// crossing. heartbeat's thread returns into it from nk_sleep_ms every 100 ms, so every kind
// fires within the wait, inside the domain, and the extension comes back each time.
KTEST(nooks_injected_faults_of_every_kind) {
    nooks::LoadProblem problem = {};
    // Warm-up: one load, crash and unload, so that slab size classes used for the first time
    // keep their pages before the baseline is taken.
    if (auto warm = nooks::load_extension_file("/", "/lib/modules/heartbeat.ko",
                                               nooks::ExtensionMode::Isolated, &problem);
        warm.has_value()) {
        (void)nooks::crash_extension(*warm.value(), NOOKS_CRASH_NULL);
        (void)wait_until_settled(*warm.value());
        (void)nooks::unload_extension("heartbeat");
        sched::sleep_ms(5);
    }
    auto frames_before = memory::frames().stats().free_frames;
    auto threads_before = sched::stats().live_threads;
    auto loaded = nooks::load_extension_file("/", "/lib/modules/heartbeat.ko",
                                             nooks::ExtensionMode::Isolated, &problem);
    KREQUIRE(loaded.has_value());
    nooks::Extension& heartbeat = *loaded.value();
    unsigned fired = 0;
    for (int kind = 0; kind < NOOKS_CRASH_KIND_COUNT; ++kind) {
        if (kind == NOOKS_CRASH_HANG_CLI && !nooks::nmi_watchdog_running())
            continue;
        auto result = nooks::crash_extension(heartbeat, kind);
        KEXPECT(result.is_error() && result.error() == nk::Error::Aborted);
        KEXPECT(wait_until_settled(heartbeat));
        KEXPECT(heartbeat.state == nooks::ExtensionState::Running);
        KEXPECT(nooks::crash_victim_intact());
        // The new incarnation holds exactly its own thread and mutex.
        KEXPECT(heartbeat.tracker.count(nooks::ObjectKind::Thread) == 1);
        KEXPECT(heartbeat.tracker.count(nooks::ObjectKind::Mutex) == 1);
        KEXPECT(heartbeat.tracker.total() == 2);
        for (auto& when : heartbeat.restart_times_ns)
            when = 0;
        ++fired;
    }
    KEXPECT(heartbeat.faults == fired);
    KEXPECT(heartbeat.restarts == fired);
    KEXPECT(nooks::unload_extension("heartbeat").has_value());
    sched::sleep_ms(5);
    KEXPECT(sched::stats().live_threads == threads_before);
    KEXPECT(memory::frames().stats().free_frames == frames_before);
}
