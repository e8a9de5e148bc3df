#include <arch/x86/cpu.h>
#include <kernel/net/stack.h>
#include <kernel/net/tcp_source.h>
#include <kernel/sched/scheduler.h>
#include <kernel/sync/mutex.h>
#include <kernel/sync/semaphore.h>
#include <kernel/time/clock.h>

extern "C" {
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
}

namespace kernel::net {

namespace {

// lwIP sends straight from this (no copy: tcp_write without TCP_WRITE_FLAG_COPY keeps a
// reference until the data is acknowledged), so it never changes once filled. The stream is the
// digits 0-9 over and over: each write starts where the last one's digit left off.
constexpr nk::u16 CHUNK = 16384;
constexpr nk::u32 PERIOD = 10;
nk::u8 g_payload[CHUNK + PERIOD];

// A connection that stops acknowledging this long past the end is given up.
constexpr nk::u64 FINISH_GRACE_MS = 10000;

// One source at a time. Every field but `done` is touched on the stack's thread, or by the
// caller with the core lock held.
struct Source {
    Semaphore done;
    tcp_pcb* listener;
    tcp_pcb* connection;
    nk::u64 send_ms;
    nk::u64 deadline_ms; // set at the connection
    nk::u64 start_tsc;
    nk::u64 start_idle; // sched::idle_cycles()
    nk::u64 end_tsc;
    nk::u64 end_idle;
    nk::u64 bytes;  // acknowledged
    nk::u64 queued; // handed to lwIP
    bool finished;
    bool failed;
} g_source;
Mutex g_one_at_a_time;

nk::u64 now_ms() {
    return clock::nanoseconds_since_boot() / 1000000;
}

void signal_end(bool failed) {
    g_source.failed = failed;
    g_source.finished = true;
    g_source.end_tsc = x86::rdtsc();
    g_source.end_idle = sched::idle_cycles();
    g_source.done.up();
}

// The connection is over (its callbacks go first: nothing of it may call back afterwards).
// ERR_ABRT when it had to be aborted: a callback must then return that, for lwIP has freed it.
err_t detach(tcp_pcb* pcb, bool abort) {
    tcp_arg(pcb, nullptr);
    tcp_sent(pcb, nullptr);
    tcp_recv(pcb, nullptr);
    tcp_err(pcb, nullptr);
    tcp_poll(pcb, nullptr, 0);
    g_source.connection = nullptr;
    if (!abort && tcp_close(pcb) == ERR_OK)
        return ERR_OK;
    tcp_abort(pcb);
    return ERR_ABRT;
}

// Queues as much as the send buffer takes while the time lasts; once it is up and everything
// sent is acknowledged, closes. What a callback returns (detach()).
err_t fill(tcp_pcb* pcb) {
    if (now_ms() < g_source.deadline_ms) {
        while (tcp_sndbuf(pcb) > 0) {
            auto length = nk::u16(nk::min<nk::u32>(tcp_sndbuf(pcb), CHUNK));
            const nk::u8* from = g_payload + g_source.queued % PERIOD;
            if (tcp_write(pcb, from, length, TCP_WRITE_FLAG_MORE) != ERR_OK)
                break; // the segment queue is full: more when something is acknowledged
            g_source.queued += length;
        }
        tcp_output(pcb);
        return ERR_OK;
    }
    if (pcb->unsent || pcb->unacked)
        return ERR_OK;
    err_t closed = detach(pcb, false);
    signal_end(false);
    return closed;
}

err_t on_sent(void*, tcp_pcb* pcb, u16_t length) {
    g_source.bytes += length;
    return fill(pcb);
}

// What the reader sends is thrown away; its end before ours is a failure.
err_t on_receive(void*, tcp_pcb* pcb, pbuf* data, err_t) {
    if (!data) {
        signal_end(true);
        return detach(pcb, true);
    }
    tcp_recved(pcb, data->tot_len);
    pbuf_free(data);
    return ERR_OK;
}

// Every second: the time may be up without an acknowledgement to notice it.
err_t on_poll(void*, tcp_pcb* pcb) {
    if (now_ms() > g_source.deadline_ms + FINISH_GRACE_MS) {
        signal_end(true);
        return detach(pcb, true);
    }
    return fill(pcb);
}

// lwIP has freed the connection already.
void on_error(void*, err_t) {
    g_source.connection = nullptr;
    signal_end(true);
}

err_t on_accept(void*, tcp_pcb* pcb, err_t error) {
    if (error != ERR_OK || !pcb)
        return ERR_VAL;
    if (g_source.connection || g_source.finished) {
        tcp_abort(pcb); // one reader only
        return ERR_ABRT;
    }
    // The listener has done its part.
    tcp_accept(g_source.listener, nullptr);
    tcp_close(g_source.listener);
    g_source.listener = nullptr;
    g_source.connection = pcb;
    g_source.deadline_ms = now_ms() + g_source.send_ms;
    g_source.start_tsc = x86::rdtsc();
    g_source.start_idle = sched::idle_cycles();
    tcp_nagle_disable(pcb);
    tcp_sent(pcb, on_sent);
    tcp_recv(pcb, on_receive);
    tcp_err(pcb, on_error);
    tcp_poll(pcb, on_poll, 2); // in the coarse timer's half seconds
    return fill(pcb);
}

} // namespace

nk::Result<IperfResult> tcp_source(nk::u16 port, nk::u32 seconds, nk::u32 accept_timeout_ms) {
    if (!stack_running())
        return nk::Error::NotSupported;
    if (seconds == 0 || port == 0)
        return nk::Error::Invalid;
    MutexLocker one(g_one_at_a_time);
    for (nk::u32 i = 0; i < sizeof g_payload; ++i)
        g_payload[i] = nk::u8('0' + i % PERIOD);
    {
        LOCK_TCPIP_CORE();
        while (g_source.done.try_down()) {
        }
        g_source.connection = nullptr;
        g_source.bytes = 0;
        g_source.queued = 0;
        g_source.finished = false;
        g_source.failed = false;
        g_source.send_ms = seconds * 1000ull;
        tcp_pcb* pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
        tcp_pcb* listener = nullptr;
        // The last run's connection may still be in TIME_WAIT on this port.
        if (pcb)
            ip_set_option(pcb, SOF_REUSEADDR);
        if (pcb && tcp_bind(pcb, IP4_ADDR_ANY, port) == ERR_OK)
            listener = tcp_listen_with_backlog(pcb, 1);
        if (!listener) {
            if (pcb)
                tcp_close(pcb);
            UNLOCK_TCPIP_CORE();
            return nk::Error::Busy; // the port is taken, or no memory for a listener
        }
        g_source.listener = listener;
        tcp_accept(listener, on_accept);
        UNLOCK_TCPIP_CORE();
    }
    bool ended = g_source.done.down_for(accept_timeout_ms + seconds * 1000ull + FINISH_GRACE_MS);
    LOCK_TCPIP_CORE();
    bool never_connected = g_source.listener != nullptr;
    if (g_source.listener) {
        tcp_accept(g_source.listener, nullptr);
        tcp_close(g_source.listener);
        g_source.listener = nullptr;
    }
    if (g_source.connection)
        (void)detach(g_source.connection, true);
    IperfResult result = {};
    result.bytes = g_source.bytes;
    bool failed = !ended || g_source.failed;
    nk::u64 cycles = g_source.end_tsc - g_source.start_tsc;
    nk::u64 idle = g_source.end_idle - g_source.start_idle;
    UNLOCK_TCPIP_CORE();
    if (never_connected)
        return nk::Error::TimedOut;
    if (failed)
        return nk::Error::IO;
    result.milliseconds = nk::u32(clock::cycles_to_nanoseconds(cycles) / 1000000);
    result.kbit_per_second =
        result.milliseconds ? nk::u32(result.bytes * 8 / result.milliseconds) : 0;
    result.cpu_busy_percent = sched::busy_percent(cycles, idle);
    return result;
}

} // namespace kernel::net
