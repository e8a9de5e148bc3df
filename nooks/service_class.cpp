#include <nooks/extension_manager.h>
#include <nooks/service.h>
#include <nooks/service_class.h>
#include <nooks/xpc.h>

#include <string.h>

namespace nooks {

bool service_status(Extension& extension, char* buffer, nk::usize size) {
    if (size == 0)
        return false;
    buffer[0] = 0;
    if (extension.extension_class != NOOKS_CLASS_SERVICE || !extension.info ||
        extension.state != ExtensionState::Running)
        return false;
    const auto* ops = static_cast<const nooks_service_ops*>(extension.info->ops);
    // The ops table and the function must be the module's own (the loader checked neither).
    auto in = [&](const ModuleRange& range, nk::u64 address, nk::u64 length) {
        return address >= range.address && length <= range.size &&
               address - range.address <= range.size - length;
    };
    auto table = reinterpret_cast<nk::u64>(ops);
    if (!ops ||
        !(in(extension.module.rodata, table, sizeof *ops) ||
          in(extension.module.data, table, sizeof *ops)) ||
        !ops->status || !in(extension.module.text, reinterpret_cast<nk::u64>(ops->status), 1))
        return false;
    auto function = as_domain_function(ops->status);
    if (extension.mode == ExtensionMode::Native) {
        auto done = xpc_call(extension, function, long(buffer), long(size));
        buffer[size - 1] = 0;
        return done.has_value() && done.value() == 0;
    }
    BounceBuffer bounce(extension, size);
    if (!bounce.ok())
        return false;
    auto* text = bounce.as<char>();
    text[0] = 0;
    auto done = bounce.after(xpc_call(extension, function, long(text), long(size)));
    if (done.is_error())
        return false;
    text[size - 1] = 0;
    strncpy(buffer, text, size - 1);
    buffer[size - 1] = 0;
    return done.value() == 0;
}

} // namespace nooks
