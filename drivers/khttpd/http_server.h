// The server's shared state: its settings (load parameters), its workers and its counters.
// khttpd.cpp runs the listener and the worker pool; http_connection.cpp serves one connection.
#pragma once

#include "file_cache.h"

#include <nooks/kernel_api.h>
#include <nooks/socket.h>

namespace khttpd {

// A request head fits with room to spare (http_request.h's MAX_HEAD is 8 KiB).
constexpr size_t INPUT_SIZE = 12 * 1024;
// Generated responses: error pages, directory listings, the status page.
constexpr size_t OUTPUT_SIZE = 64 * 1024;
// Directory entries or extension records, read for one response.
constexpr size_t SCRATCH_SIZE = 24 * 1024;

struct Settings {
    uint16_t port;
    unsigned workers;
    uint64_t idle_ms;    // a keep-alive connection with no request coming
    uint64_t request_ms; // from a request's first byte to its complete head; and a stalled send
};

enum WorkerState { WORKER_FREE = 0, WORKER_ASSIGNED = 1, WORKER_SERVING = 2 };

struct Worker {
    unsigned index;
    nk_thread_handle thread;
    nk_event_handle wake;
    volatile int state;
    nk_socket_handle connection;
    char* input;
    char* output;
    void* scratch;
    FileCache* files;
    // The next request may be read with the response's last send (nk_send_file.receive): set
    // when nothing of a following request is in `input` yet; the result lands in `prefetched`.
    bool prefetch;
    bool has_prefetched;
    int64_t prefetched;
};

struct Counters {
    volatile uint64_t connections;
    volatile uint64_t requests;
    volatile uint64_t refused;
    volatile uint64_t errors; // 5xx answered
    volatile uint64_t started_ns;
};

extern Settings g_settings;
extern Counters g_counters;
// The kernel's clock, read in place (no crossing per reading; nooks/kernel_api.h).
extern const struct nk_clock* g_clock;

inline uint64_t now_ms() {
    return g_clock->uptime_ns / 1000000;
}
inline uint64_t now_epoch() {
    return g_clock->epoch_seconds;
}

// Serves requests on `worker.connection` until the client closes it, keep-alive ends, a
// timeout, an error, or the thread is asked to stop. The caller closes the socket.
void serve_connection(Worker& worker);

// Sends all of [data, data+length), giving up when the peer takes nothing for request_ms.
bool send_all(nk_socket_handle socket, const char* data, size_t length);

} // namespace khttpd
