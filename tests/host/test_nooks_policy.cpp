#include <catch2/catch.hpp>

#include <nooks/object_tracker.h>
#include <nooks/restart_policy.h>

#include <vector>

using nooks::MAX_RESTARTS;
using nooks::RESTART_WINDOW_NS;

namespace {
constexpr nk::u64 SECOND = 1000000000ull;
} // namespace

TEST_CASE("restart policy: backoff doubles and the window caps restarts", "[nooks]") {
    nk::u64 recent[MAX_RESTARTS] = {};
    nk::u64 now = 100 * SECOND;
    auto first = nooks::decide_restart(recent, now);
    CHECK(first.allowed);
    CHECK(first.backoff_ms == 0);
    for (nk::u64 count = 0; count < MAX_RESTARTS; ++count) {
        auto decision = nooks::decide_restart(recent, now);
        REQUIRE(decision.allowed);
        CHECK(decision.backoff_ms == (count == 0 ? 0 : 1ull << (count - 1)));
        nooks::remember_restart(recent, count, now);
        now += SECOND / 10;
    }
    // Eight restarts within the window: no more.
    CHECK_FALSE(nooks::decide_restart(recent, now).allowed);
    // Once the oldest leaves the window, one more is allowed.
    auto later = nooks::decide_restart(recent, 100 * SECOND + RESTART_WINDOW_NS);
    CHECK(later.allowed);
    // Long after, the window is empty again.
    auto much_later = nooks::decide_restart(recent, now + 2 * RESTART_WINDOW_NS);
    CHECK(much_later.allowed);
    CHECK(much_later.backoff_ms == 0);
}

TEST_CASE("restart policy ignores times from the future and empty slots", "[nooks]") {
    nk::u64 recent[MAX_RESTARTS] = {};
    recent[0] = 50 * SECOND; // a clock that went backwards must not count
    auto decision = nooks::decide_restart(recent, 10 * SECOND);
    CHECK(decision.allowed);
    CHECK(decision.backoff_ms == 0);
}

namespace {

struct Counted {
    nooks::TrackedObject tracked;
    std::vector<int>* released;
    int id;
};

void release_counted(nooks::TrackedObject& object) {
    auto* counted = reinterpret_cast<Counted*>(&object);
    counted->released->push_back(counted->id);
}

} // namespace

TEST_CASE("object tracker: ownership, counts by kind, release newest first", "[nooks]") {
    std::vector<int> released;
    Counted a{{{}, nooks::ObjectKind::Irq, release_counted}, &released, 1};
    Counted b{{{}, nooks::ObjectKind::Timer, release_counted}, &released, 2};
    Counted c{{{}, nooks::ObjectKind::Timer, release_counted}, &released, 3};
    Counted stranger{{{}, nooks::ObjectKind::Timer, release_counted}, &released, 4};
    nooks::ObjectTracker tracker;
    tracker.add(a.tracked);
    tracker.add(b.tracked);
    tracker.add(c.tracked);
    CHECK(tracker.total() == 3);
    CHECK(tracker.count(nooks::ObjectKind::Irq) == 1);
    CHECK(tracker.count(nooks::ObjectKind::Timer) == 2);
    CHECK(tracker.owns(&a.tracked, nooks::ObjectKind::Irq));
    // A handle of the wrong kind, or one the extension never got, is not its own.
    CHECK_FALSE(tracker.owns(&a.tracked, nooks::ObjectKind::Timer));
    CHECK_FALSE(tracker.owns(&stranger.tracked, nooks::ObjectKind::Timer));
    CHECK_FALSE(tracker.owns(nullptr, nooks::ObjectKind::Timer));
    tracker.remove(b.tracked);
    CHECK(tracker.count(nooks::ObjectKind::Timer) == 1);
    tracker.release_all();
    CHECK(released == std::vector<int>{3, 1});
    CHECK(tracker.total() == 0);
    CHECK(tracker.count(nooks::ObjectKind::Irq) == 0);
    tracker.release_all(); // nothing left: nothing happens
    CHECK(released.size() == 2);
}
