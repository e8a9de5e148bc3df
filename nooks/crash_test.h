// `ext crash NAME KIND`: asks a test-class extension to misbehave in one of the ways the Nooks
// evaluation cares about (nooks/include/nooks/test_extension.h lists them), and reports what
// happened to the kernel object the "kernel-write" kind aims at.
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace nooks {

struct Extension;

// -1 for an unknown name. Names: null, wild-write, kernel-write, stack-overflow, hang,
// hang-cli, div0, ud, bad-param, double-free, leak, panic.
int crash_kind_from_name(const char* name);
const char* crash_kind_name(int kind);

// Runs the crash inside the extension. Error::NotSupported for extensions without a crash
// entry; Error::Aborted (the expected outcome when isolated) when the crossing was aborted.
nk::Result<long> crash_extension(Extension& extension, int kind);

// The live kernel object kernel-write aims at, and whether it still holds its value.
bool crash_victim_intact();

} // namespace nooks
