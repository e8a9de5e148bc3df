// The extension API as seen by isolated extensions: each import bound to a generated wrapper.
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace nooks {

// Address of the wrapper for an imported name; Error::NoEntry for names the API lacks.
nk::Result<nk::u64> find_isolated_export(const char* name);

} // namespace nooks
