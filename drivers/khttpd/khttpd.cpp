// khttpd: an HTTP/1.1 server as a service extension. It serves the directory the kernel gave it
// (load parameter root=, e.g. /disk) over the kernel's TCP sockets (nooks/socket.h), reads files
// through the kernel's VFS (nooks/file.h), and shows every extension's state at /_ext.
//
// One thread accepts; a fixed pool of workers serves one connection each, so the number of
// connections is bounded: past it a client gets 503 at once. Every wait is bounded (1 s), so
// threads notice an unload. After a crash the kernel keeps the listening socket open and hands
// it to the restarted copy (nk_socket_listen on the same port): clients never find the port
// closed, and only the requests being answered inside khttpd at the crash fail.
//
// Parameters: root=DIR (required by the kernel's file calls), port=N (80), workers=N (6),
// idle_ms=N (5000: a keep-alive connection with no request), request_ms=N (10000: a request head
// arriving, or a client not reading).
#include "http_response.h"
#include "http_server.h"

#include <nooks/extension.h>
#include <nooks/kernel_api.h>
#include <nooks/service.h>
#include <nooks/socket.h>
#include <nooks/support.h>

namespace khttpd {

Settings g_settings;
Counters g_counters;
const struct nk_clock* g_clock = nullptr;

namespace {

constexpr unsigned MAX_WORKERS = 7; // with the acceptor, within an extension's 8 threads
constexpr uint64_t ACCEPT_WAIT_MS = 500;

nk_socket_handle g_listener = nullptr;
nk_thread_handle g_acceptor = nullptr;
Worker g_workers[MAX_WORKERS];
char g_root[64];

// A decimal load parameter in [low, high], or `fallback` when not given. False when malformed.
bool number_parameter(const char* key, uint64_t low, uint64_t high, uint64_t fallback,
                      uint64_t& out) {
    char value[24];
    out = fallback;
    if (nk_param(key, value, sizeof value) < 0)
        return true;
    uint64_t number = 0;
    const char* end = nk_parse_decimal(value, high, &number);
    if (!end || *end || number < low) {
        nk_log("khttpd: %s=%s: expected %llu..%llu\n", key, value, (unsigned long long)low,
               (unsigned long long)high);
        return false;
    }
    out = number;
    return true;
}

void work(void* context) {
    Worker& worker = *static_cast<Worker*>(context);
    while (!nk_thread_should_stop()) {
        if (__atomic_load_n(&worker.state, __ATOMIC_ACQUIRE) != WORKER_ASSIGNED) {
            nk_event_wait(worker.wake, ACCEPT_WAIT_MS);
            continue;
        }
        __atomic_store_n(&worker.state, WORKER_SERVING, __ATOMIC_RELEASE);
        serve_connection(worker);
        nk_socket_close(worker.connection);
        worker.connection = nullptr;
        __atomic_store_n(&worker.state, WORKER_FREE, __ATOMIC_RELEASE);
    }
}

// Over the bound: a short 503 and the connection ends.
void refuse(nk_socket_handle connection) {
    char buffer[512];
    TextBuffer response(buffer, sizeof buffer);
    const char* body = "<!DOCTYPE html>\n<html><body><h1>503 Service Unavailable</h1>"
                       "</body></html>\n";
    ResponseHead head = {};
    head.status = 503;
    head.content_type = "text/html; charset=utf-8";
    head.content_length = strlen(body);
    head.extra = "Retry-After: 1\r\n";
    write_head(response, head, now_epoch());
    response.append(body);
    (void)nk_socket_send(connection, response.data(), response.length());
    g_counters.refused = g_counters.refused + 1;
}

void accept_loop(void*) {
    while (!nk_thread_should_stop()) {
        nk_socket_handle connection = nullptr;
        nk_status accepted =
            nk_socket_accept(g_listener, ACCEPT_WAIT_MS, &connection, nullptr, nullptr);
        if (accepted == -NK_ETIMEDOUT)
            continue;
        if (accepted < 0) {
            nk_log("khttpd: accept failed (%ld)\n", accepted);
            nk_sleep_ms(ACCEPT_WAIT_MS);
            continue;
        }
        g_counters.connections = g_counters.connections + 1;
        Worker* free_worker = nullptr;
        // Only this thread takes a free worker; the worker alone frees itself.
        for (unsigned i = 0; i < g_settings.workers && !free_worker; ++i) {
            if (__atomic_load_n(&g_workers[i].state, __ATOMIC_ACQUIRE) == WORKER_FREE)
                free_worker = &g_workers[i];
        }
        if (!free_worker) {
            refuse(connection);
            nk_socket_close(connection);
            continue;
        }
        free_worker->connection = connection;
        __atomic_store_n(&free_worker->state, WORKER_ASSIGNED, __ATOMIC_RELEASE);
        nk_event_signal(free_worker->wake);
    }
}

nk_status status(char* buffer, size_t size) {
    if (size == 0)
        return -NK_EINVAL;
    unsigned busy = 0;
    for (unsigned i = 0; i < g_settings.workers; ++i)
        busy += g_workers[i].state != WORKER_FREE ? 1 : 0;
    nk_snprintf(buffer, size,
                "serving %s on port %u: %llu connections (%u of %u open), %llu requests, "
                "%llu refused, %llu server errors",
                g_root, unsigned(g_settings.port), (unsigned long long)g_counters.connections, busy,
                g_settings.workers, (unsigned long long)g_counters.requests,
                (unsigned long long)g_counters.refused, (unsigned long long)g_counters.errors);
    return 0;
}

const nooks_service_ops g_ops = {status};

void stop_everything() {
    if (g_acceptor)
        nk_thread_stop(g_acceptor);
    g_acceptor = nullptr;
    for (Worker& worker : g_workers) {
        if (worker.thread)
            nk_thread_stop(worker.thread);
        if (worker.connection)
            nk_socket_close(worker.connection);
        if (worker.wake)
            nk_event_destroy(worker.wake);
        nk_free(worker.input);
        nk_free(worker.output);
        nk_free(worker.scratch);
        nk_free(worker.files);
        worker = {};
    }
    if (g_listener)
        nk_socket_close(g_listener);
    g_listener = nullptr;
}

nk_status khttpd_init() {
    if (nk_param("root", g_root, sizeof g_root) < 0 || g_root[0] != '/') {
        nk_log("khttpd: no root=DIR to serve\n");
        return -NK_EINVAL;
    }
    uint64_t port, workers, idle_ms, request_ms;
    if (!number_parameter("port", 1, 65535, 80, port) ||
        !number_parameter("workers", 1, MAX_WORKERS, 6, workers) ||
        !number_parameter("idle_ms", 100, 600000, 5000, idle_ms) ||
        !number_parameter("request_ms", 100, 600000, 10000, request_ms))
        return -NK_EINVAL;
    g_settings = {uint16_t(port), unsigned(workers), idle_ms, request_ms};
    g_counters = {};
    g_clock = nk_clock();
    g_counters.started_ns = g_clock->uptime_ns;
    nk_status listening = nk_socket_listen(g_settings.port, 32, &g_listener);
    if (listening < 0) {
        nk_log("khttpd: cannot listen on port %u (%ld)\n", unsigned(port), listening);
        g_listener = nullptr;
        return listening;
    }
    for (unsigned i = 0; i < g_settings.workers; ++i) {
        Worker& worker = g_workers[i];
        worker = {};
        worker.index = i;
        worker.input = static_cast<char*>(nk_malloc(INPUT_SIZE));
        worker.output = static_cast<char*>(nk_malloc(OUTPUT_SIZE));
        worker.scratch = nk_malloc(SCRATCH_SIZE);
        worker.files = static_cast<FileCache*>(nk_zalloc(sizeof(FileCache)));
        nk_status made = worker.input && worker.output && worker.scratch && worker.files
                             ? nk_event_create(&worker.wake)
                             : -NK_ENOMEM;
        char name[16];
        nk_snprintf(name, sizeof name, "khttpd:%u", i);
        if (made == 0)
            made = nk_thread_create(name, work, &worker, &worker.thread);
        if (made < 0) {
            nk_log("khttpd: cannot start worker %u (%ld)\n", i, made);
            stop_everything();
            return made;
        }
    }
    nk_status started = nk_thread_create("khttpd", accept_loop, nullptr, &g_acceptor);
    if (started < 0) {
        stop_everything();
        return started;
    }
    nk_log("khttpd: serving %s on TCP port %u with %u workers\n", g_root, unsigned(port),
           unsigned(workers));
    return 0;
}

void khttpd_exit() {
    stop_everything();
    nk_log("khttpd: stopped after %llu requests\n", (unsigned long long)g_counters.requests);
}

} // namespace

} // namespace khttpd

NOOKS_MODULE("khttpd", NOOKS_CLASS_SERVICE, khttpd::khttpd_init, khttpd::khttpd_exit,
             &khttpd::g_ops);
