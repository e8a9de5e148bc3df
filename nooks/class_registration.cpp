#include <arch/x86/interrupt_state.h>
#include <kernel/sched/scheduler.h>
#include <nooks/device_classes.h>
#include <nooks/extension_manager.h>
#include <nooks/xpc.h>

namespace nooks {

void ClassRegistration::init(ObjectKind kind, void (*release)(TrackedObject&),
                             void (*destroy_record)(ClassRegistration&), Extension* owner) {
    tracked = {{}, kind, release};
    extension = owner;
    incarnation = owner ? owner->incarnation : 0;
    in_flight = 0;
    active = true;
    retired = false;
    destroy = destroy_record;
}

bool op_ok(const Extension* extension, const void* function) {
    if (!extension || extension->mode != ExtensionMode::Isolated)
        return true;
    auto address = reinterpret_cast<nk::u64>(function);
    return address >= extension->module.text.address &&
           address < extension->module.text.address + extension->module.text.size;
}

bool ClassRegistration::isolated() const {
    return extension && extension->mode == ExtensionMode::Isolated;
}

bool ClassRegistration::enter() {
    x86::InterruptGuard guard;
    if (!active)
        return false;
    in_flight = in_flight + 1;
    return true;
}

void ClassRegistration::leave() {
    bool last;
    {
        x86::InterruptGuard guard;
        in_flight = in_flight - 1;
        last = in_flight == 0 && retired;
    }
    if (last)
        destroy(*this);
}

nk::Result<long> ClassRegistration::call(const void* function, long a0, long a1, long a2) {
    if (!enter())
        return nk::Error::NoDevice;
    nk::Result<long> result = nk::Error::NoDevice;
    auto domain_function =
        reinterpret_cast<x86::DomainFunction>(reinterpret_cast<nk::uptr>(function));
    if (extension)
        result = xpc_call_incarnation(*extension, incarnation, domain_function, a0, a1, a2);
    else
        result = domain_function(a0, a1, a2);
    leave();
    return result;
}

void ClassRegistration::retire() {
    bool inside = extension && (current_extension() == extension || native_caller() == extension);
    if (!inside) {
        // Unload or recovery (no thread is inside the extension): the calls in flight are on
        // their way in and are turned back; wait for them, the extension's memory goes next.
        {
            x86::InterruptGuard guard;
            active = false;
        }
        while (in_flight)
            kernel::sched::sleep_ms(1);
        destroy(*this);
        return;
    }
    bool now;
    {
        x86::InterruptGuard guard;
        active = false;
        retired = true;
        now = in_flight == 0;
    }
    if (now)
        destroy(*this);
}

} // namespace nooks
