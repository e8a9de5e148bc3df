// Shadow copies (DESIGN.md, "XPC and the typed extension ABI"): a writable kernel object the
// extension must work on is handed over as a copy in the extension's own heap — the original is
// read-only in its domain — and the changes come back only when the call returned normally and
// the class's validator accepts them. An aborted call leaves the original exactly as it was.
#pragma once

#include <arch/x86/domain_call.h>
#include <nk/result.h>
#include <nk/types.h>

namespace nooks {

struct Extension;

struct ShadowObject {
    void* object;
    nk::usize size;
    // Accepts or refuses the extension's version before it replaces the original; nullptr
    // accepts everything.
    bool (*validate)(const void* original, const void* shadow, void* context);
    void* context;
};

// Calls function(object-or-its-shadow, a1, a2). Native extensions get the object itself.
// Errors: those of xpc_call; Error::NoMemory when the extension's heap cannot hold the copy;
// Error::Invalid when the validator refused the result (the original is unchanged).
nk::Result<long> xpc_call_with_shadow(Extension& extension, x86::DomainFunction function,
                                      const ShadowObject& shadow, long a1 = 0, long a2 = 0);

} // namespace nooks
