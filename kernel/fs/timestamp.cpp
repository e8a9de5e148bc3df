#include <kernel/fs/timestamp.h>

namespace kernel::fs {

namespace {
TimeSource g_time_source = nullptr;
}

void set_time_source(TimeSource source) {
    g_time_source = source;
}

nk::u64 timestamp_ns() {
    return g_time_source ? g_time_source() : 0;
}

} // namespace kernel::fs
