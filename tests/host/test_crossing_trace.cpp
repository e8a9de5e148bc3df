// The per-extension ring of recent crossings (nooks/crossing_trace.h): order, wrap-around, and
// completions that arrive after the ring has reused their slot.
#include <catch2/catch.hpp>

#include <nooks/crossing_trace.h>

#include <vector>

using nooks::CrossingTrace;
using nooks::TraceDirection;
using nooks::TraceEntry;
using nooks::TraceOutcome;

namespace {

std::vector<const TraceEntry*> entries(const CrossingTrace& trace) {
    std::vector<const TraceEntry*> seen;
    nooks::trace_for_each(trace, [&](const TraceEntry& entry) { seen.push_back(&entry); });
    return seen;
}

} // namespace

TEST_CASE("crossing trace: entries come back oldest first with their outcome", "[trace]") {
    CrossingTrace trace = {};
    CHECK(entries(trace).empty());
    auto in = nooks::trace_begin(trace, TraceDirection::In, 0x41, nullptr, 1, 2, 3);
    auto out = nooks::trace_begin(trace, TraceDirection::Out, 0, "nk_malloc", 64, 0, 0);
    nooks::trace_end(trace, out, TraceOutcome::Returned, 0x1000);
    auto seen = entries(trace);
    REQUIRE(seen.size() == 2);
    CHECK(seen[0]->direction == TraceDirection::In);
    CHECK(seen[0]->offset == 0x41);
    CHECK(seen[0]->arguments[2] == 3);
    CHECK(seen[0]->outcome == TraceOutcome::Pending); // still inside
    CHECK(seen[1]->name == std::string("nk_malloc"));
    CHECK(seen[1]->result == 0x1000);
    CHECK(seen[1]->outcome == TraceOutcome::Returned);
    nooks::trace_end(trace, in, TraceOutcome::Aborted, 0);
    CHECK(entries(trace)[0]->outcome == TraceOutcome::Aborted);
}

TEST_CASE("crossing trace: only the last TRACE_ENTRIES are kept; late completions of reused "
          "slots are dropped",
          "[trace]") {
    CrossingTrace trace = {};
    auto first = nooks::trace_begin(trace, TraceDirection::In, 1, nullptr, 0, 0, 0);
    for (unsigned i = 0; i < nooks::TRACE_ENTRIES + 3; ++i)
        nooks::trace_begin(trace, TraceDirection::Out, 0, "nk_log", i, 0, 0);
    // The first entry's slot now holds a newer one: completing the first must not touch it.
    nooks::trace_end(trace, first, TraceOutcome::Returned, 99);
    auto seen = entries(trace);
    REQUIRE(seen.size() == nooks::TRACE_ENTRIES);
    CHECK(seen.front()->arguments[0] == 3); // the oldest kept: calls 0..2 were pushed out
    CHECK(seen.back()->arguments[0] == nooks::TRACE_ENTRIES + 2);
    for (const TraceEntry* entry : seen) {
        CHECK(entry->outcome == TraceOutcome::Pending);
        CHECK(entry->result == 0);
    }
}

TEST_CASE("crossing trace: any argument type becomes a 64-bit value", "[trace]") {
    int object = 0;
    CHECK(nooks::trace_value(&object) == reinterpret_cast<nk::u64>(&object));
    CHECK(nooks::trace_value(static_cast<unsigned short>(0x1f0)) == 0x1f0);
    CHECK(nooks::trace_value(-1L) == ~0ull);
}
