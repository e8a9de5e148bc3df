// The kernel functions an extension may import, by name (nooks/include/nooks/kernel_api.h). In
// native mode the module loader binds each import to the address found here.
#pragma once

#include <nk/result.h>
#include <nk/span.h>
#include <nk/types.h>

namespace nooks {

struct KernelExport {
    const char* name;
    nk::u64 address;
};

nk::Span<const KernelExport> kernel_exports();
// The address exported under `name` in `table` (the native table, or the isolated wrappers').
nk::Result<nk::u64> find_export(nk::Span<const KernelExport> table, const char* name);
// Error::NoEntry for a name the extension API does not offer.
nk::Result<nk::u64> find_kernel_export(const char* name);

} // namespace nooks
