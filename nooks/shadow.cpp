#include <kernel/memory/heap.h>
#include <nooks/extension_manager.h>
#include <nooks/shadow.h>
#include <nooks/xpc.h>

#include <stdio.h>
#include <string.h>

namespace nooks {

nk::Result<long> xpc_call_with_shadow(Extension& extension, x86::DomainFunction function,
                                      const ShadowObject& shadow, long a1, long a2) {
    if (extension.mode == ExtensionMode::Native)
        return xpc_call(extension, function, long(shadow.object), a1, a2);
    if (extension.state != ExtensionState::Running)
        return nk::Error::Busy;
    void* copy = TRY(extension_heap_allocate(extension, shadow.size));
    memcpy(copy, shadow.object, shadow.size);
    auto result = xpc_call(extension, function, long(copy), a1, a2);
    if (result.is_error()) {
        // Aborted: the extension is being recovered and its heap goes with it — the copy must
        // not be touched again (nor freed into a heap that may already be gone).
        return result.error();
    }
    bool accepted = !shadow.validate || shadow.validate(shadow.object, copy, shadow.context);
    if (accepted)
        memcpy(shadow.object, copy, shadow.size);
    else {
        ++extension.check_failures;
        kprintf("nooks: extension '%s': its changes to a shadowed object were refused\n",
                extension.name);
    }
    (void)extension_heap_free(extension, copy);
    if (!accepted)
        return nk::Error::Invalid;
    return result;
}

} // namespace nooks
