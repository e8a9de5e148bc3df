#include <kernel/sched/scheduler.h>
#include <nooks/crash_test.h>
#include <nooks/extension_manager.h>
#include <nooks/fault_injection.h>
#include <nooks/test_extension.h>
#include <nooks/xpc.h>

#include <string.h>

namespace nooks {

namespace {

constexpr nk::u64 VICTIM_VALUE = 0x600d600d600d600dull;
volatile nk::u64 g_victim = VICTIM_VALUE;

const char* const g_names[NOOKS_CRASH_KIND_COUNT] = {
    "null", "wild-write", "kernel-write", "stack-overflow", "hang",  "hang-cli",      "div0",
    "ud",   "bad-param",  "double-free",  "leak",           "panic", "heap-scribble",
};

} // namespace

int crash_kind_from_name(const char* name) {
    for (int kind = 0; kind < NOOKS_CRASH_KIND_COUNT; ++kind) {
        if (strcmp(g_names[kind], name) == 0)
            return kind;
    }
    return -1;
}

const char* crash_kind_name(int kind) {
    return kind >= 0 && kind < NOOKS_CRASH_KIND_COUNT ? g_names[kind] : "?";
}

nk::Result<long> crash_extension(Extension& extension, int kind) {
    if (kind < 0 || kind >= NOOKS_CRASH_KIND_COUNT)
        return nk::Error::Invalid;
    if (extension.extension_class == NOOKS_CLASS_TEST && extension.info && extension.info->ops) {
        auto* ops = static_cast<const nooks_test_ops*>(extension.info->ops);
        return xpc_call(extension, as_domain_function(ops->crash), kind,
                        long(crash_victim_address()));
    }
    if (extension.state != ExtensionState::Running)
        return nk::Error::Busy;
    nk::u64 faults = extension.faults;
    arm_fault(extension, kind);
    for (unsigned waited = 0; waited < 2000 && fault_armed(extension); ++waited)
        kernel::sched::sleep_ms(1);
    if (fault_armed(extension))
        return nk::Error::Again;
    // Fired: give the fault path a moment to record it (it does so before unwinding).
    for (unsigned waited = 0; waited < 100 && extension.faults == faults; ++waited)
        kernel::sched::sleep_ms(1);
    return extension.faults != faults ? nk::Result<long>(nk::Error::Aborted) : nk::Result<long>(0);
}

nk::u64 crash_victim_address() {
    return reinterpret_cast<nk::u64>(&g_victim);
}

bool crash_victim_intact() {
    return g_victim == VICTIM_VALUE;
}

} // namespace nooks
