#include <arch/x86/interrupt_state.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/net/interface.h>
#include <kernel/net/stack.h>
#include <kernel/sched/scheduler.h>
#include <kernel/time/clock.h>
#include <nk/utility.h>

#include <stdio.h>
#include <string.h>

extern "C" {
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"
}

namespace kernel::net {

namespace {

constexpr unsigned MAX_INTERFACES = 4;

struct Interface {
    netif lwip;
    NetDevice* device; // a reference, held for the life of the kernel
    char name[MAX_NAME];
    bool dhcp;
    nk::u64 tx_dropped; // frames the device refused (ring full, driver gone)
    // Frames lwIP sent since the last flush: they go to the device as one batch (one crossing
    // into an isolated driver) when the stack's thread is done with what it is doing, or when
    // the batch is full. Touched only with the core lock held.
    nk::usize queued;
    bool flush_scheduled;
    nk::usize lengths[MAX_BATCH];
    nk::u8 frames[MAX_BATCH][MAX_FRAME];
};

Interface* g_interfaces[MAX_INTERFACES];

// lwIP's core lock, held for a call into the stack from outside its thread.
struct CoreLock {
    CoreLock() { LOCK_TCPIP_CORE(); }
    ~CoreLock() { UNLOCK_TCPIP_CORE(); }
    CoreLock(const CoreLock&) = delete;
    CoreLock& operator=(const CoreLock&) = delete;
};

Interface* find_interface(const char* name) {
    for (Interface* interface : g_interfaces) {
        if (interface && strcmp(interface->name, name) == 0)
            return interface;
    }
    return nullptr;
}

void receive(NetDevice&, const nk::u8* frame, nk::usize length, void* context);
void link_changed(NetDevice& device, bool up, void* context);

// A driver unloaded and loaded again registers a new device under the old name: the interface
// moves to it (a restart after a crash keeps the same device; the nooks proxy sees to that).
// Called with the core lock held. True when there is a new device.
bool renew_device(Interface& interface) {
    NetDevice* fresh = find(interface.name);
    if (!fresh)
        return false;
    if (fresh == interface.device || !fresh->is_registered()) {
        fresh->unref();
        return false;
    }
    interface.device->set_receive_hook(nullptr, nullptr);
    interface.device->unref();
    interface.device = fresh; // find()'s reference, kept
    memcpy(interface.lwip.hwaddr, fresh->mac(), ETH_HWADDR_LEN);
    fresh->set_receive_hook(receive, &interface);
    fresh->set_link_hook(link_changed, &interface);
    if (auto opened = fresh->open(); opened.is_error())
        return false;
    kprintf("net: %s: now on the driver that registered it again\n", interface.name);
    return true;
}

// The queued frames to the device, in one call (core lock held).
void flush(Interface& interface) {
    nk::usize done = 0;
    while (done < interface.queued) {
        OutFrame batch[MAX_BATCH];
        nk::usize count = interface.queued - done;
        for (nk::usize i = 0; i < count; ++i)
            batch[i] = {interface.frames[done + i], interface.lengths[done + i]};
        auto sent = interface.device->transmit_batch(batch, count);
        if (sent.is_error() && sent.error() == nk::Error::NoDevice && renew_device(interface))
            sent = interface.device->transmit_batch(batch, count);
        if (sent.is_error()) {
            // The rest is lost (a full ring, a driver gone): TCP sends it again.
            interface.tx_dropped += count;
            LINK_STATS_INC(link.drop);
            break;
        }
        done += sent.value();
        LINK_STATS_INC(link.xmit);
    }
    interface.queued = 0;
}

void flush_later(void* argument) {
    auto* interface = static_cast<Interface*>(argument);
    interface->flush_scheduled = false;
    flush(*interface);
}

// lwIP -> device: the frame, gathered from the pbuf chain into the next slot of the batch (the
// device takes flat frames). Called with the core lock held.
err_t link_output(netif* lwip, pbuf* chain) {
    auto* interface = static_cast<Interface*>(lwip->state);
    nk::usize length = chain->tot_len;
    if (length > MAX_FRAME) {
        LINK_STATS_INC(link.lenerr);
        return ERR_BUF;
    }
    nk::u8* frame = interface->frames[interface->queued];
    pbuf_copy_partial(chain, frame, u16_t(length), 0);
    // Short frames are padded to Ethernet's minimum of 60 bytes before the FCS (802.3 4.2.3.3).
    if (length < 60) {
        memset(frame + length, 0, 60 - length);
        length = 60;
    }
    interface->lengths[interface->queued++] = length;
    if (interface->queued == MAX_BATCH) {
        flush(*interface);
    } else if (!interface->flush_scheduled) {
        // After the current work of the stack's thread: whatever it sends meanwhile joins.
        interface->flush_scheduled = tcpip_try_callback(flush_later, interface) == ERR_OK;
        if (!interface->flush_scheduled)
            flush(*interface);
    }
    return ERR_OK;
}

// Device -> lwIP: copied into a pbuf and queued for the tcpip thread (safe in an interrupt
// handler or the driver's thread: nothing here blocks).
void receive(NetDevice&, const nk::u8* frame, nk::usize length, void* context) {
    auto* interface = static_cast<Interface*>(context);
    pbuf* packet = pbuf_alloc(PBUF_RAW, u16_t(length), PBUF_POOL);
    if (!packet) {
        LINK_STATS_INC(link.memerr);
        LINK_STATS_INC(link.drop);
        return;
    }
    pbuf_take(packet, frame, u16_t(length));
    LINK_STATS_INC(link.recv);
    if (interface->lwip.input(packet, &interface->lwip) != ERR_OK) {
        LINK_STATS_INC(link.drop);
        pbuf_free(packet);
    }
}

// The link as the device reports it, applied on the stack's thread (the report may come from an
// interrupt handler).
void apply_link(void* argument) {
    auto* interface = static_cast<Interface*>(argument);
    bool up = interface->device->link_up();
    if (up == bool(netif_is_link_up(&interface->lwip)))
        return;
    if (up)
        netif_set_link_up(&interface->lwip);
    else
        netif_set_link_down(&interface->lwip);
    kprintf("net: %s: link %s\n", interface->name, up ? "up" : "down");
}

void link_changed(NetDevice&, bool, void* context) {
    (void)tcpip_try_callback(apply_link, context);
}

err_t init_netif(netif* lwip) {
    auto* interface = static_cast<Interface*>(lwip->state);
    lwip->name[0] = 'e';
    lwip->name[1] = 'n';
    lwip->output = etharp_output;
    lwip->linkoutput = link_output;
    lwip->mtu = u16_t(interface->device->mtu());
    lwip->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(lwip->hwaddr, interface->device->mac(), ETH_HWADDR_LEN);
    lwip->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    netif_set_hostname(lwip, "nooks");
    return ERR_OK;
}

void print_address(void* argument) {
    auto* lwip = static_cast<netif*>(argument);
    if (ip4_addr_isany_val(*netif_ip4_addr(lwip)))
        return;
    auto* interface = static_cast<Interface*>(lwip->state);
    char address[16], netmask[16], gateway[16];
    format_ipv4(lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(lwip))), address);
    format_ipv4(lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(lwip))), netmask);
    format_ipv4(lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(lwip))), gateway);
    kprintf("net: %s %s netmask %s gateway %s%s\n", interface->name, address, netmask, gateway,
            interface->dhcp ? " (DHCP)" : "");
}

// lwIP's status callback comes when the address is set, before the netmask and gateway are:
// the line is printed once the stack is done with the change.
void announce(netif* lwip) {
    if (!ip4_addr_isany_val(*netif_ip4_addr(lwip)))
        (void)tcpip_try_callback(print_address, lwip);
}

Ipv4Config config_locked(Interface& interface) {
    netif& lwip = interface.lwip;
    return {lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&lwip))),
            lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(&lwip))),
            lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(&lwip))), interface.dhcp};
}

} // namespace

void format_ipv4(nk::u32 address, char* out) {
    snprintf(out, 16, "%u.%u.%u.%u", address >> 24, (address >> 16) & 0xff, (address >> 8) & 0xff,
             address & 0xff);
}

bool parse_ipv4(const char* text, nk::u32* out) {
    nk::u32 address = 0;
    for (int part = 0; part < 4; ++part) {
        if (*text < '0' || *text > '9')
            return false;
        nk::u32 value = 0;
        for (int digits = 0; *text >= '0' && *text <= '9'; ++digits, ++text) {
            value = value * 10 + nk::u32(*text - '0');
            if (digits >= 3 || value > 255)
                return false;
        }
        address = (address << 8) | value;
        if (part < 3 && *text++ != '.')
            return false;
    }
    if (*text != 0)
        return false;
    *out = address;
    return true;
}

nk::ErrorOr attach(NetDevice& device, bool dhcp) {
    if (!stack_running())
        return nk::Error::NotSupported;
    Interface* interface = find_interface(device.name());
    if (!interface) {
        unsigned slot = 0;
        while (slot < MAX_INTERFACES && g_interfaces[slot])
            ++slot;
        if (slot == MAX_INTERFACES)
            return nk::Error::NoSpace;
        interface = static_cast<Interface*>(kzalloc(sizeof(Interface)));
        if (!interface)
            return nk::Error::NoMemory;
        device.ref();
        interface->device = &device;
        strncpy(interface->name, device.name(), sizeof interface->name - 1);
        {
            CoreLock lock;
            if (!netif_add(&interface->lwip, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, interface,
                           init_netif, tcpip_input)) {
                device.unref();
                kfree(interface);
                return nk::Error::IO;
            }
            netif_set_status_callback(&interface->lwip, announce);
            if (slot == 0)
                netif_set_default(&interface->lwip);
        }
        g_interfaces[slot] = interface;
    }
    TRY(device.open());
    device.set_receive_hook(receive, interface);
    device.set_link_hook(link_changed, interface);
    CoreLock lock;
    netif_set_up(&interface->lwip);
    if (device.link_up())
        netif_set_link_up(&interface->lwip);
    if (dhcp && !interface->dhcp) {
        interface->dhcp = true;
        if (dhcp_start(&interface->lwip) != ERR_OK)
            return nk::Error::NoMemory;
    }
    return {};
}

nk::Result<Ipv4Config> run_dhcp(const char* name, nk::u64 timeout_ms) {
    Interface* interface = find_interface(name);
    if (!interface)
        return nk::Error::NoDevice;
    {
        CoreLock lock;
        interface->dhcp = true;
        if (dhcp_start(&interface->lwip) != ERR_OK)
            return nk::Error::NoMemory;
    }
    nk::u64 deadline = kernel::clock::ticks() + timeout_ms;
    while (kernel::clock::ticks() < deadline) {
        {
            CoreLock lock;
            if (dhcp_supplied_address(&interface->lwip))
                return config_locked(*interface);
        }
        sched::sleep_ms(20);
    }
    return nk::Error::TimedOut;
}

void resume_connections(NetDevice& device) {
    Interface* interface = find_interface(device.name());
    if (!interface)
        return;
    CoreLock lock;
    u8_t index = netif_get_index(&interface->lwip);
    unsigned resent = 0, nudged = 0;
    for (tcp_pcb* pcb = tcp_active_pcbs; pcb; pcb = pcb->next) {
        if (pcb->netif_idx != NETIF_NO_INDEX && pcb->netif_idx != index)
            continue;
        if (pcb->state != ESTABLISHED && pcb->state != CLOSE_WAIT)
            continue;
        if (pcb->unacked) {
            tcp_rexmit_rto(pcb);
            ++resent;
        } else {
            for (int i = 0; i < 3; ++i) {
                tcp_ack_now(pcb);
                tcp_output(pcb);
            }
            ++nudged;
        }
    }
    if (resent || nudged)
        kprintf("net: %s is back: %u connections resent, %u asked the peer to\n", interface->name,
                resent, nudged);
}

nk::ErrorOr configure(const char* name, const Ipv4Config& config) {
    Interface* interface = find_interface(name);
    if (!interface)
        return nk::Error::NoDevice;
    // A netmask is ones, then zeros.
    if (config.address == 0 || (~config.netmask & (~config.netmask + 1)) != 0)
        return nk::Error::Invalid;
    CoreLock lock;
    if (interface->dhcp) {
        dhcp_release_and_stop(&interface->lwip);
        interface->dhcp = false;
    }
    ip4_addr_t address, netmask, gateway;
    ip4_addr_set_u32(&address, lwip_htonl(config.address));
    ip4_addr_set_u32(&netmask, lwip_htonl(config.netmask));
    ip4_addr_set_u32(&gateway, lwip_htonl(config.gateway));
    netif_set_addr(&interface->lwip, &address, &netmask, &gateway);
    return {};
}

nk::Result<Ipv4Config> config_of(const char* name) {
    Interface* interface = find_interface(name);
    if (!interface)
        return nk::Error::NoDevice;
    CoreLock lock;
    return config_locked(*interface);
}

nk::usize format_interfaces(char* buffer, nk::usize size) {
    nk::usize used = 0;
    auto put = [&](const char* format, auto... values) {
        if (used < size) {
            int wrote = snprintf(buffer + used, size - used, format, values...);
            if (wrote > 0)
                used = nk::min(size, used + nk::usize(wrote));
        }
    };
    for (Interface* interface : g_interfaces) {
        if (!interface)
            continue;
        Ipv4Config config;
        NetDevice* held;
        {
            CoreLock lock;
            config = config_locked(*interface);
            // A reference of our own, taken under the core lock: renew_device (on the stack's
            // thread) may move the interface to a new device and drop the old one's meanwhile.
            held = interface->device;
            held->ref();
        }
        NetDevice& device = *held;
        const nk::u8* mac = device.mac();
        char address[16], netmask[16], gateway[16];
        format_ipv4(config.address, address);
        format_ipv4(config.netmask, netmask);
        format_ipv4(config.gateway, gateway);
        NetStats stats = device.stats();
        put("%s: link %s, mtu %u, MAC %02x:%02x:%02x:%02x:%02x:%02x\n", interface->name,
            device.is_registered() && device.is_up() && device.link_up() ? "up" : "down",
            device.mtu(), mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
        put("    inet %s netmask %s gateway %s%s\n", address, netmask, gateway,
            config.dhcp ? (config.address ? " (DHCP)" : " (DHCP: asking)") : "");
        put("    rx %llu frames %llu bytes, %llu dropped, %llu errors\n",
            (unsigned long long)stats.rx_frames, (unsigned long long)stats.rx_bytes,
            (unsigned long long)stats.rx_dropped, (unsigned long long)stats.rx_errors);
        put("    tx %llu frames %llu bytes, %llu errors\n", (unsigned long long)stats.tx_frames,
            (unsigned long long)stats.tx_bytes, (unsigned long long)stats.tx_errors);
        held->unref();
    }
    put("lo: loopback, inet 127.0.0.1 netmask 255.0.0.0\n");
    // What the stack made of what came in: the drops by cause are how bad input shows.
    const stats_& all = lwip_stats;
    auto count = [](u16_t value) { return unsigned(value); };
    put("stack: link %u in, %u dropped; arp %u in, %u dropped (%u bad length, %u malformed)\n",
        count(all.link.recv), count(all.link.drop), count(all.etharp.recv), count(all.etharp.drop),
        count(all.etharp.lenerr), count(all.etharp.proterr));
    put("    ip %u in, %u dropped (%u checksum, %u length, %u protocol, %u options); fragments "
        "%u in, %u dropped\n",
        count(all.ip.recv), count(all.ip.drop), count(all.ip.chkerr), count(all.ip.lenerr),
        count(all.ip.proterr), count(all.ip.opterr), count(all.ip_frag.recv),
        count(all.ip_frag.drop));
    put("    icmp %u in, %u dropped; udp %u in, %u dropped (%u checksum); tcp %u in, %u dropped "
        "(%u checksum, %u length)\n",
        count(all.icmp.recv), count(all.icmp.drop), count(all.udp.recv), count(all.udp.drop),
        count(all.udp.chkerr), count(all.tcp.recv), count(all.tcp.drop), count(all.tcp.chkerr),
        count(all.tcp.lenerr));
    return used;
}

} // namespace kernel::net
