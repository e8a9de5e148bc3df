// Modification times. The file-system code is also built for host tests, where there is no
// kernel clock, so the clock is injected: the kernel sets it at init, tests may set their own.
#pragma once

#include <nk/types.h>

namespace kernel::fs {

using TimeSource = nk::u64 (*)();

void set_time_source(TimeSource source);
// Nanoseconds since boot per the time source; 0 when none is set.
nk::u64 timestamp_ns();

} // namespace kernel::fs
