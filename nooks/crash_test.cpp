#include <nooks/crash_test.h>
#include <nooks/extension_manager.h>
#include <nooks/test_extension.h>
#include <nooks/xpc.h>

#include <string.h>

namespace nooks {

namespace {

constexpr nk::u64 VICTIM_VALUE = 0x600d600d600d600dull;
volatile nk::u64 g_victim = VICTIM_VALUE;

const char* const g_names[NOOKS_CRASH_KIND_COUNT] = {
    "null", "wild-write", "kernel-write", "stack-overflow", "hang", "hang-cli",
    "div0", "ud",         "bad-param",    "double-free",    "leak", "panic",
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
    if (extension.extension_class != NOOKS_CLASS_TEST || !extension.info)
        return nk::Error::NotSupported;
    auto* ops = static_cast<const nooks_test_ops*>(extension.info->ops);
    if (!ops || !ops->crash)
        return nk::Error::NotSupported;
    return xpc_call(extension, as_domain_function(ops->crash), kind,
                    long(reinterpret_cast<nk::u64>(&g_victim)));
}

bool crash_victim_intact() {
    return g_victim == VICTIM_VALUE;
}

} // namespace nooks
