// ICMP echo (RFC 792) from the kernel: what `ping` runs. The requests go out through lwIP's raw
// API; replies are matched by identifier and sequence number and timed with the TSC.
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace kernel::net {

struct PingReport {
    nk::u32 sent;
    nk::u32 received;
    nk::u64 min_us, max_us, total_us;
};

// Sends `count` echo requests of `payload` bytes to `address` (host byte order), one per
// `interval_ms`, each waited for at most `timeout_ms`; one line per reply (or timeout) goes into
// `out`, then the summary. Error::Invalid for bad arguments, Error::NoMemory.
nk::Result<PingReport> ping(nk::u32 address, nk::u32 count, nk::u32 payload, nk::u32 interval_ms,
                            nk::u32 timeout_ms, char* out, nk::usize size, nk::usize* used);

} // namespace kernel::net
