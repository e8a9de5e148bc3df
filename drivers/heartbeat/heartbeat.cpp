// A service extension: a thread that beats every 100 ms until the extension is unloaded, and a
// status line counting the beats. The smallest real user of threads, mutexes and the service
// class; `ext load /lib/modules/heartbeat.ko` then `ext stats heartbeat` shows it working.
#include <nooks/extension.h>
#include <nooks/kernel_api.h>
#include <nooks/service.h>
#include <nooks/support.h>

namespace {

nk_thread_handle g_thread = nullptr;
nk_mutex_handle g_lock = nullptr;
unsigned long g_beats = 0;
uint64_t g_started_ns = 0;

void beat(void*) {
    while (!nk_thread_should_stop()) {
        nk_mutex_lock(g_lock);
        ++g_beats;
        nk_mutex_unlock(g_lock);
        nk_sleep_ms(100);
    }
}

nk_status status(char* buffer, size_t size) {
    if (size == 0)
        return -NK_EINVAL;
    nk_mutex_lock(g_lock);
    unsigned long beats = g_beats;
    nk_mutex_unlock(g_lock);
    unsigned long seconds = (nk_uptime_ns() - g_started_ns) / 1000000000ul;
    nk_snprintf(buffer, size, "%lu beats in %lu s", beats, seconds);
    return 0;
}

const nooks_service_ops g_ops = {status};

nk_status heartbeat_init() {
    g_beats = 0;
    g_started_ns = nk_uptime_ns();
    nk_status created = nk_mutex_create(&g_lock);
    if (created < 0)
        return created;
    return nk_thread_create("beat", beat, nullptr, &g_thread);
}

void heartbeat_exit() {
    nk_thread_stop(g_thread);
    nk_mutex_destroy(g_lock);
    nk_log("heartbeat: stopped after %lu beats\n", g_beats);
}

} // namespace

NOOKS_MODULE("heartbeat", NOOKS_CLASS_SERVICE, heartbeat_init, heartbeat_exit, &g_ops);
