// Measures the system call round trip: N (default 100000) GetPid calls, each timed with the
// time-stamp counter, reporting the minimum and the mean in cycles (and in nanoseconds when the
// kernel reports the TSC frequency). The cost of reading the TSC itself is measured the same way
// and subtracted.
#include <nk_stdlib.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>

namespace {

// LFENCE before RDTSC keeps earlier instructions from drifting past the read (SDM Vol. 2B,
// RDTSC): the measured interval then covers the whole call.
inline nk::u64 read_tsc() {
    nk::u32 low, high;
    asm volatile("lfence; rdtsc" : "=a"(low), "=d"(high) : : "memory");
    return (nk::u64(high) << 32) | low;
}

struct Timing {
    nk::u64 min;
    nk::u64 total;
};

template <typename Body>
Timing measure(long iterations, Body body) {
    Timing timing = {~0ull, 0};
    for (long i = 0; i < iterations; ++i) {
        nk::u64 start = read_tsc();
        body();
        nk::u64 cycles = read_tsc() - start;
        timing.min = nk::min(timing.min, cycles);
        timing.total += cycles;
    }
    return timing;
}

// Cycles to nanoseconds, in integers (no floating point in programs).
nk::u64 to_ns(nk::u64 cycles, nk::u64 tsc_hz) {
    return tsc_hz ? cycles * 1000000000ull / tsc_hz : 0;
}

} // namespace

int main(int argc, char** argv) {
    long iterations = 100000;
    if (argc > 2 ||
        (argc == 2 && (iterations = long(nk::parse_signed(argv[1], nullptr, 10))) <= 0)) {
        dprintf(2, "usage: sysbench [ITERATIONS]\n");
        return 2;
    }

    Timing overhead = measure(iterations, [] {});
    Timing calls = measure(iterations, [] { (void)sys::get_pid(); });

    nk::u64 min = calls.min > overhead.min ? calls.min - overhead.min : 0;
    nk::u64 mean_overhead = overhead.total / nk::u64(iterations);
    nk::u64 mean = calls.total / nk::u64(iterations);
    mean = mean > mean_overhead ? mean - mean_overhead : 0;

    printf("sysbench: %ld x GetPid: min %llu cycles, mean %llu cycles per call "
           "(TSC read overhead %llu subtracted)\n",
           iterations, (unsigned long long)min, (unsigned long long)mean,
           (unsigned long long)overhead.min);
    nk::abi::TimeInfo time = {};
    if (sys::time(time).has_value() && time.tsc_hz)
        printf("sysbench: min %llu ns, mean %llu ns (TSC at %llu kHz)\n",
               (unsigned long long)to_ns(min, time.tsc_hz),
               (unsigned long long)to_ns(mean, time.tsc_hz),
               (unsigned long long)(time.tsc_hz / 1000));
    return 0;
}
