#include <kernel/net/interface.h>
#include <kernel/net/ping.h>
#include <kernel/net/stack.h>
#include <kernel/sched/scheduler.h>
#include <kernel/sync/semaphore.h>
#include <kernel/time/clock.h>

#include <stdio.h>
#include <string.h>

extern "C" {
#include "lwip/icmp.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip.h"
#include "lwip/ip4.h"
#include "lwip/pbuf.h"
#include "lwip/prot/ip4.h"
#include "lwip/raw.h"
#include "lwip/tcpip.h"
}

namespace kernel::net {

namespace {

constexpr nk::u32 MAX_PAYLOAD = 1400;
constexpr nk::u32 MAX_COUNT = 1000;

// What the raw pcb's receive callback (tcpip thread) and the waiting thread share.
struct Echo {
    nk::u16 id;
    nk::u16 sequence; // the one being waited for
    nk::u32 from;     // the address it was sent to, host order
    bool answered;
    nk::u8 ttl;
    Semaphore replied;
};

// Called by lwIP (core locked) for every ICMP packet; takes only replies to our request.
u8_t on_icmp(void* argument, raw_pcb*, pbuf* packet, const ip_addr_t* source) {
    auto* echo = static_cast<Echo*>(argument);
    if (packet->tot_len < IP_HLEN + sizeof(icmp_echo_hdr))
        return 0;
    ip_hdr header;
    if (pbuf_copy_partial(packet, &header, sizeof header, 0) != sizeof header)
        return 0;
    nk::u16 header_length = nk::u16(IPH_HL_BYTES(&header));
    icmp_echo_hdr reply;
    if (pbuf_copy_partial(packet, &reply, sizeof reply, header_length) != sizeof reply)
        return 0;
    if (reply.type != ICMP_ER || reply.id != lwip_htons(echo->id) ||
        reply.seqno != lwip_htons(echo->sequence) ||
        lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(source))) != echo->from)
        return 0; // not ours: another pcb (or lwIP's own ICMP) may want it
    echo->answered = true;
    echo->ttl = IPH_TTL(&header);
    echo->replied.up();
    pbuf_free(packet);
    return 1;
}

} // namespace

nk::Result<PingReport> ping(nk::u32 address, nk::u32 count, nk::u32 payload, nk::u32 interval_ms,
                            nk::u32 timeout_ms, char* out, nk::usize size, nk::usize* used) {
    if (!stack_running())
        return nk::Error::NotSupported;
    if (count == 0 || count > MAX_COUNT || payload > MAX_PAYLOAD || timeout_ms == 0 ||
        timeout_ms > 60000 || interval_ms > 10000)
        return nk::Error::Invalid;
    *used = 0;
    auto put = [&](const char* format, auto... values) {
        if (*used < size) {
            int wrote = snprintf(out + *used, size - *used, format, values...);
            if (wrote > 0)
                *used = nk::min(size, *used + nk::usize(wrote));
        }
    };
    static Echo echo; // one ping at a time (the syscall layer serialises)
    echo.id = nk::u16(kernel::clock::ticks() ^ 0x4e4b);
    echo.from = address;
    ip_addr_t destination;
    ip_addr_set_ip4_u32_val(destination, lwip_htonl(address));
    raw_pcb* pcb;
    {
        LOCK_TCPIP_CORE();
        pcb = raw_new(IP_PROTO_ICMP);
        if (pcb)
            raw_recv(pcb, on_icmp, &echo);
        UNLOCK_TCPIP_CORE();
    }
    if (!pcb)
        return nk::Error::NoMemory;
    char text[16];
    format_ipv4(address, text);
    put("PING %s: %u data bytes\n", text, payload);
    PingReport report = {0, 0, ~0ull, 0, 0};
    for (nk::u32 i = 0; i < count; ++i) {
        if (i > 0 && interval_ms)
            sched::sleep_ms(interval_ms);
        while (echo.replied.try_down()) {
        } // a late reply to the previous one
        echo.sequence = nk::u16(i + 1);
        echo.answered = false;
        nk::u16 length = nk::u16(sizeof(icmp_echo_hdr) + payload);
        pbuf* packet = pbuf_alloc(PBUF_IP, length, PBUF_RAM);
        if (!packet)
            break;
        auto* request = static_cast<icmp_echo_hdr*>(packet->payload);
        ICMPH_TYPE_SET(request, ICMP_ECHO);
        ICMPH_CODE_SET(request, 0);
        request->id = lwip_htons(echo.id);
        request->seqno = lwip_htons(echo.sequence);
        auto* data = reinterpret_cast<nk::u8*>(request + 1);
        for (nk::u32 b = 0; b < payload; ++b)
            data[b] = nk::u8(b);
        request->chksum = 0;
        request->chksum = inet_chksum(request, length);
        nk::u64 start = kernel::clock::nanoseconds_since_boot();
        err_t sent;
        {
            LOCK_TCPIP_CORE();
            sent = raw_sendto(pcb, packet, &destination);
            UNLOCK_TCPIP_CORE();
        }
        pbuf_free(packet);
        ++report.sent;
        if (sent != ERR_OK) {
            put("icmp_seq=%u: not sent (%s)\n", i + 1, lwip_strerr(sent));
            continue;
        }
        if (!echo.replied.down_for(timeout_ms) || !echo.answered) {
            put("icmp_seq=%u: no reply in %u ms\n", i + 1, timeout_ms);
            continue;
        }
        nk::u64 us = (kernel::clock::nanoseconds_since_boot() - start) / 1000;
        ++report.received;
        report.min_us = nk::min(report.min_us, us);
        report.max_us = nk::max(report.max_us, us);
        report.total_us += us;
        put("%u bytes from %s: icmp_seq=%u ttl=%u time=%llu.%03llu ms\n", length, text, i + 1,
            echo.ttl, (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
    }
    {
        LOCK_TCPIP_CORE();
        raw_remove(pcb);
        UNLOCK_TCPIP_CORE();
    }
    if (report.received == 0)
        report.min_us = 0;
    nk::u64 average = report.received ? report.total_us / report.received : 0;
    put("--- %s: %u sent, %u received, %u%% lost; rtt min/avg/max %llu.%03llu/%llu.%03llu/"
        "%llu.%03llu ms\n",
        text, report.sent, report.received,
        report.sent ? (report.sent - report.received) * 100 / report.sent : 0,
        (unsigned long long)(report.min_us / 1000), (unsigned long long)(report.min_us % 1000),
        (unsigned long long)(average / 1000), (unsigned long long)(average % 1000),
        (unsigned long long)(report.max_us / 1000), (unsigned long long)(report.max_us % 1000));
    return report;
}

} // namespace kernel::net
