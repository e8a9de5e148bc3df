#include <arch/x86/cpu.h>
#include <arch/x86/interrupt_state.h>
#include <nooks/extension_manager.h>
#include <nooks/fault_injection.h>
#include <nooks/isolated_api.h>
#include <nooks/kernel_api.h>
#include <nooks/kernel_exports.h>
#include <nooks/test_extension.h>
#include <nooks/xpc.h>

namespace nooks {

namespace {

volatile long g_zero = 0;
volatile long* volatile g_null = nullptr;

// The kernel service `name` as the running extension imports it: the wrapper when it is
// isolated (the calling code is inside its domain), the kernel function natively.
template <typename Function>
Function service(const char* name) {
    Extension* extension = current_extension();
    auto address = extension ? find_isolated_export(name) : find_kernel_export(name);
    return reinterpret_cast<Function>(address.value_or(0));
}

[[gnu::noinline]] int recurse(int depth) {
    volatile char frame[256];
    frame[0] = char(depth);
    if (g_zero == 1)
        return 0;
    return recurse(depth + 1) + frame[0];
}

} // namespace

void arm_fault(Extension& extension, int kind, nk::u32 after, nk::u32 times) {
    x86::InterruptGuard guard;
    extension.armed_fault = kind;
    extension.armed_skip = after;
    extension.armed_interval = after;
    extension.armed_again = times > 1 ? times - 1 : 0;
}

bool fault_armed(const Extension& extension) {
    return extension.armed_fault >= 0;
}

int take_armed_fault(Extension& extension) {
    x86::InterruptGuard guard;
    int kind = extension.armed_fault;
    if (kind < 0)
        return -1;
    if (extension.armed_interval) {
        // Scheduled: only the running extension's crossings count (not its init or restart).
        if (extension.state != ExtensionState::Running)
            return -1;
        if (extension.armed_skip) {
            --extension.armed_skip;
            return -1;
        }
        if (extension.armed_again) {
            --extension.armed_again;
            extension.armed_skip = extension.armed_interval;
            return kind;
        }
    }
    extension.armed_fault = -1;
    return kind;
}

long injected_fault(long kind, long target) {
    switch (kind) {
    case NOOKS_CRASH_NULL:
        return *g_null;
    case NOOKS_CRASH_WILD_WRITE: {
        // Somewhere in the physmap's first 256 MiB, chosen by the time stamp counter (kernel
        // data is read-only here, so no seed can be kept).
        nk::u64 seed = x86::rdtsc() * 6364136223846793005ul + 1442695040888963407ul;
        *reinterpret_cast<volatile long*>(0xffff800000000000ul + (seed >> 36) * 8) = 0xbad;
        return 0;
    }
    case NOOKS_CRASH_KERNEL_WRITE:
        *reinterpret_cast<volatile long*>(target) = 0xbad;
        return 0;
    case NOOKS_CRASH_STACK_OVERFLOW:
        return recurse(0);
    case NOOKS_CRASH_HANG:
        for (;;)
            asm volatile("pause");
    case NOOKS_CRASH_HANG_CLI:
        asm volatile("cli");
        for (;;)
            asm volatile("pause");
    case NOOKS_CRASH_DIV0:
        return 10 / g_zero;
    case NOOKS_CRASH_UD:
        asm volatile("ud2");
        return 0;
    case NOOKS_CRASH_BAD_PARAM:
        service<void (*)(void*)>("nk_free")(reinterpret_cast<void*>(0xffffffff80100000ul));
        return 0;
    case NOOKS_CRASH_DOUBLE_FREE: {
        void* block = service<void* (*)(size_t)>("nk_malloc")(48);
        service<void (*)(void*)>("nk_free")(block);
        service<void (*)(void*)>("nk_free")(block);
        return 0;
    }
    case NOOKS_CRASH_LEAK:
        for (int i = 0; i < 100; ++i)
            (void)service<void* (*)(size_t)>("nk_malloc")(1000);
        return *g_null;
    case NOOKS_CRASH_PANIC:
        service<void (*)(const char*)>("nk_bug")("injected assertion failure");
        return 0;
    case NOOKS_CRASH_HEAP_SCRIBBLE: {
        auto block = reinterpret_cast<nk::u64>(service<void* (*)(size_t)>("nk_malloc")(32));
        auto* page = reinterpret_cast<volatile nk::u64*>(block & ~nk::u64(4095));
        for (int i = 0; i < 8; ++i)
            page[i] = 0xffffffff80100000ull + nk::u64(i) * 8;
        return service<void* (*)(size_t)>("nk_malloc")(32) != nullptr;
    }
    }
    return 0;
}

} // namespace nooks
