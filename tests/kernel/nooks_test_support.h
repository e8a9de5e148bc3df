// Helpers shared by the in-kernel tests of the Nooks subsystem.
#pragma once

#include <kernel/sched/scheduler.h>
#include <nooks/extension_manager.h>
#include <nooks/test_extension.h>
#include <nooks/xpc.h>

inline nooks::Extension* load_test_extension(nooks::ExtensionMode mode) {
    nooks::LoadProblem problem = {};
    auto loaded = nooks::load_extension_file("/", "/lib/modules/test.ko", mode, &problem);
    return loaded.is_error() ? nullptr : loaded.value();
}

inline nooks::Extension* load_isolated_test_extension() {
    return load_test_extension(nooks::ExtensionMode::Isolated);
}

// One load and unload first: size classes used for the first time keep a slab page, which is
// not a leak; the figures after it must come back exactly.
inline void settle_heap() {
    if (nooks::Extension* warm = load_isolated_test_extension())
        (void)nooks::unload_extension(warm->name);
}

inline const nooks_test_ops& test_ops(nooks::Extension& extension) {
    return *static_cast<const nooks_test_ops*>(extension.info->ops);
}

// Waits (bounded) for a background recovery to finish.
inline bool wait_until_settled(nooks::Extension& extension) {
    for (int waited = 0; waited < 5000; ++waited) {
        // Settled: the recovery thread is done (its re-init included, state Starting).
        if (!extension.recovery_pending && extension.state != nooks::ExtensionState::Recovering &&
            extension.state != nooks::ExtensionState::Starting)
            return true;
        kernel::sched::sleep_ms(1);
    }
    return false;
}

// The test extension's `objects` entry point (enum nooks_test_object_action).
inline nk::Result<long> test_objects(nooks::Extension& extension, long action, long argument = 0) {
    return nooks::xpc_call(extension, nooks::as_domain_function(test_ops(extension).objects),
                           action, argument);
}
