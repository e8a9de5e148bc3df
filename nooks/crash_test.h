// `ext crash NAME KIND`: makes an extension misbehave in one of the ways the Nooks evaluation
// cares about (nooks/include/nooks/test_extension.h lists them), and reports what happened to
// the kernel object the "kernel-write" kind aims at.
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace nooks {

struct Extension;

// -1 for an unknown name. Names: null, wild-write, kernel-write, stack-overflow, hang,
// hang-cli, div0, ud, bad-param, double-free, leak, panic, heap-scribble.
int crash_kind_from_name(const char* name);
const char* crash_kind_name(int kind);

// Runs the crash inside the extension: a test-class extension's own crash entry point; for any
// other, the fault is armed (fault_injection.h) and this waits (up to 2 s) for the next crossing
// to fire it. Error::Aborted (the expected outcome when isolated) when the crossing was aborted;
// Error::Again when no crossing came within the wait (the fault stays armed); Error::Busy when
// the extension is not running.
nk::Result<long> crash_extension(Extension& extension, int kind);

// The live kernel object kernel-write aims at, and whether it still holds its value.
bool crash_victim_intact();
nk::u64 crash_victim_address();

} // namespace nooks
