// Kernel-side micro-benchmarks reported by `bench`: context switch, CR3 reload, timer-free
// measurements in TSC cycles. (The syscall round trip is measured from user space by
// /bin/sysbench, which sees the whole crossing.)
#pragma once

#include <nk/types.h>

namespace kernel::syscalls {

// Runs the benchmarks and writes their report; returns its length.
nk::usize run_kernel_benchmarks(char* buffer, nk::usize size);

} // namespace kernel::syscalls
