// The network at boot: the e1000 driver loaded as an isolated extension, its device joined to
// the TCP/IP stack, and DHCP asked for an address.
#pragma once

namespace nooks {

// Loads /lib/modules/e1000.ko (isolated; `net=native` on the kernel command line loads it
// native, `nonet` skips the network) when the machine has a NIC it drives, attaches eth0 to the
// stack and starts DHCP; the address is announced on the console when it comes. Says what it
// did; a machine without a NIC simply has no network.
void start_network();

} // namespace nooks
