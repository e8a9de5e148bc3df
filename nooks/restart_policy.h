// When a failed extension may be restarted: at most MAX_RESTARTS within RESTART_WINDOW_NS, after
// a backoff that doubles with each restart already in the window (0, 1, 2, 4 ... ms, capped at
// about a second). Plain logic over the times of recent restarts, so host tests can drive it.
#pragma once

#include <nk/types.h>

namespace nooks {

constexpr unsigned MAX_RESTARTS = 8;               // per window...
constexpr nk::u64 RESTART_WINDOW_NS = 10000000000; // ...of 10 s

struct RestartDecision {
    bool allowed;
    nk::u64 backoff_ms;
};

// `recent` holds the times (ns) of up to MAX_RESTARTS recent restarts, 0 for unused slots.
RestartDecision decide_restart(const nk::u64 (&recent)[MAX_RESTARTS], nk::u64 now_ns);
// Records a restart at `now_ns` (the `count`-th restart so far) in the ring of recent times.
void remember_restart(nk::u64 (&recent)[MAX_RESTARTS], nk::u64 count, nk::u64 now_ns);

} // namespace nooks
