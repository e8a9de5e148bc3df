// `ext bench`: what a crossing costs, measured on the spot with the test extension loaded first
// natively, then isolated, in the same run.
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace nooks {

// Writes the report; Error::Busy when an extension named "test" is already loaded.
nk::Result<nk::usize> run_xpc_benchmark(char* buffer, nk::usize size);

} // namespace nooks
