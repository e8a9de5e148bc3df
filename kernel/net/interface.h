// A network device joined to the TCP/IP stack: an lwIP interface (netif) whose frames go out
// through kernel::net::NetDevice::transmit and come in through its receive hook, with an
// address from DHCP or set by hand. One per device ("eth0"), made when the device first
// appears and kept for the life of the kernel: a driver that restarts finds its interface
// (address, ARP cache, connections) as it left it.
#pragma once

#include <kernel/net/net_device.h>
#include <nk/result.h>
#include <nk/types.h>

namespace kernel::net {

struct Ipv4Config {
    nk::u32 address; // host byte order; 0: none yet
    nk::u32 netmask;
    nk::u32 gateway;
    bool dhcp; // got from DHCP (or being asked)
};

// Makes (or finds) the interface of `device` and brings it up. With `dhcp`, starts DHCP on it.
nk::ErrorOr attach(NetDevice& device, bool dhcp);
// Starts DHCP on the interface of the device named `name` and waits up to `timeout_ms` for an
// address: Error::NoDevice, Error::TimedOut.
nk::Result<Ipv4Config> run_dhcp(const char* name, nk::u64 timeout_ms);
// The device's driver came back after a crash (nooks/net_proxy.cpp): what TCP lost in the gap
// is asked for now instead of at the next retransmission timeout — connections that have data
// unacknowledged send it again, and the others tell the peer (three duplicate ACKs, which make
// it retransmit at once) where they stand.
void resume_connections(NetDevice& device);
// A static address for the interface (DHCP, if running, stops): Error::NoDevice, Error::Invalid
// for a netmask that is not a prefix or an address that is 0.
nk::ErrorOr configure(const char* name, const Ipv4Config& config);
// The interface's current configuration: Error::NoDevice when `name` has none.
nk::Result<Ipv4Config> config_of(const char* name);
// What `ifconfig` prints: one block per interface (loopback included).
nk::usize format_interfaces(char* buffer, nk::usize size);
// "10.0.2.15" into `out` (at least 16 bytes).
void format_ipv4(nk::u32 address, char* out);
// "10.0.2.15" -> host byte order; false when it is not a dotted quad.
bool parse_ipv4(const char* text, nk::u32* out);

} // namespace kernel::net
