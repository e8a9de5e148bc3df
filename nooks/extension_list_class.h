// The kernel side of nooks/extension_list.h, for the native export and the isolated wrapper
// (which has checked `out` writable for `max` records).
#pragma once

#include <nk/types.h>
#include <nooks/extension_list.h>

namespace nooks {

long list_extensions(nk_extension_info* out, nk::u32 max);

} // namespace nooks
