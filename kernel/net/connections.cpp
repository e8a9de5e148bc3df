#include <kernel/net/connections.h>
#include <kernel/net/interface.h>

#include <stdio.h>

extern "C" {
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "lwip/udp.h"
}

namespace kernel::net {

namespace {

struct Writer {
    char* buffer;
    nk::usize size;
    nk::usize used;

    template <typename... Values>
    void put(const char* format, Values... values) {
        if (used < size) {
            int wrote = snprintf(buffer + used, size - used, format, values...);
            if (wrote > 0)
                used = nk::min(size, used + nk::usize(wrote));
        }
    }
};

void endpoint(char (&out)[24], const ip_addr_t& address, nk::u16 port) {
    char text[16];
    format_ipv4(lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&address))), text);
    snprintf(out, sizeof out, "%s:%u", text, port);
}

void tcp_line(Writer& writer, const tcp_pcb& pcb, bool listening) {
    char local[24], remote[24];
    endpoint(local, pcb.local_ip, pcb.local_port);
    if (listening)
        snprintf(remote, sizeof remote, "*:*");
    else
        endpoint(remote, pcb.remote_ip, pcb.remote_port);
    unsigned queued = listening ? 0 : pcb.snd_queuelen;
    writer.put("tcp   %-21s %-21s %-12s %u\n", local, remote, tcp_debug_state_str(pcb.state),
               queued);
}

} // namespace

nk::usize format_connections(char* buffer, nk::usize size) {
    Writer writer = {buffer, size, 0};
    writer.put("proto local                 remote                state        send-queue\n");
    LOCK_TCPIP_CORE();
    for (tcp_pcb_listen* pcb = tcp_listen_pcbs.listen_pcbs; pcb; pcb = pcb->next) {
        char local[24];
        endpoint(local, pcb->local_ip, pcb->local_port);
        writer.put("tcp   %-21s %-21s %-12s %u\n", local, "*:*", "LISTEN", 0u);
    }
    for (tcp_pcb* pcb = tcp_active_pcbs; pcb; pcb = pcb->next)
        tcp_line(writer, *pcb, false);
    for (tcp_pcb* pcb = tcp_tw_pcbs; pcb; pcb = pcb->next)
        tcp_line(writer, *pcb, false);
    for (udp_pcb* pcb = udp_pcbs; pcb; pcb = pcb->next) {
        char local[24], remote[24];
        endpoint(local, pcb->local_ip, pcb->local_port);
        if (ip_addr_isany(&pcb->remote_ip))
            snprintf(remote, sizeof remote, "*:*");
        else
            endpoint(remote, pcb->remote_ip, pcb->remote_port);
        writer.put("udp   %-21s %-21s\n", local, remote);
    }
    UNLOCK_TCPIP_CORE();
    return writer.used;
}

} // namespace kernel::net
