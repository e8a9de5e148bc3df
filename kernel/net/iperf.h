// TCP throughput against Debian's iperf 2 on the host, with lwIP's own iperf implementation
// (lwiperf) in the kernel: what the network benchmark measures, with the CPU's busy share
// (idle-time accounting) over the same interval.
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace kernel::net {

struct IperfResult {
    nk::u64 bytes;
    nk::u32 milliseconds;
    nk::u32 kbit_per_second;
    nk::u32 cpu_busy_percent; // the CPU's share not spent idle, over the test
};

// One test at a time: a second caller waits for the first to finish.
// Waits (up to `timeout_ms`) for one iperf client to connect to `port` and finish sending: the
// receive side. Error::TimedOut when none came; Error::IO when the test broke off.
nk::Result<IperfResult> iperf_receive(nk::u16 port, nk::u32 timeout_ms);
// Connects to an iperf server at `address` (host byte order):`port` and sends for lwiperf's 10
// seconds: the send side.
nk::Result<IperfResult> iperf_send(nk::u32 address, nk::u16 port, nk::u32 timeout_ms);

} // namespace kernel::net
