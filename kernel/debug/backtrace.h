// Walking the frame-pointer chain (the kernel is built with -fno-omit-frame-pointer).
#pragma once

#include <nk/types.h>

namespace kernel {

// Collects up to `capacity` return addresses starting from the frame whose RBP is `rbp`.
// Every frame is checked to be mapped kernel memory before it is read, so a corrupt chain ends
// the walk instead of faulting inside the panic path.
nk::usize collect_backtrace(nk::u64 rbp, nk::u64* out, nk::usize capacity);

} // namespace kernel
