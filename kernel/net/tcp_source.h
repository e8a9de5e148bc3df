// A TCP source for the send direction of the network benchmark where the guest cannot open a
// connection itself: Bochs' restricted slirp has no guestfwd, only host-to-guest forwards. The
// host connects and reads; the kernel sends to it for a fixed time, from the stack's own thread
// (lwIP's raw API: no socket, no copy of the payload), and reports what the host acknowledged.
#pragma once

#include <kernel/net/iperf.h>
#include <nk/result.h>
#include <nk/types.h>

namespace kernel::net {

// Waits up to `accept_timeout_ms` for one connection to `port`, sends to it for `seconds`, closes
// it once everything sent is acknowledged. The result counts acknowledged bytes, from the
// connection's acceptance to the last acknowledgement, with the CPU's busy share over the same
// interval. Error::TimedOut when nobody connected; Error::IO when the connection broke off.
nk::Result<IperfResult> tcp_source(nk::u16 port, nk::u32 seconds, nk::u32 accept_timeout_ms);

} // namespace kernel::net
