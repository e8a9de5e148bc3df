#include <nooks/restart_policy.h>

namespace nooks {

RestartDecision decide_restart(const nk::u64 (&recent)[MAX_RESTARTS], nk::u64 now_ns) {
    unsigned in_window = 0;
    for (nk::u64 when : recent) {
        if (when != 0 && when <= now_ns && now_ns - when < RESTART_WINDOW_NS)
            ++in_window;
    }
    nk::u64 backoff = in_window == 0 ? 0 : 1ull << (in_window - 1 < 10 ? in_window - 1 : 10);
    return {in_window < MAX_RESTARTS, backoff};
}

void remember_restart(nk::u64 (&recent)[MAX_RESTARTS], nk::u64 count, nk::u64 now_ns) {
    recent[count % MAX_RESTARTS] = now_ns;
}

} // namespace nooks
