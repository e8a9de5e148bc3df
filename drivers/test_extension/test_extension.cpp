// The test extension: a module with one entry point per crossing kind. It is written against the
// extension API only (nooks/include); the build gives it no other include path.
#include <nooks/extension.h>
#include <nooks/kernel_api.h>
#include <nooks/test_extension.h>

namespace {

long echo(long value) {
    return value + 1;
}

long fill(unsigned char* buffer, size_t length, unsigned char value) {
    long sum = 0;
    for (size_t i = 0; i < length; ++i) {
        buffer[i] = value;
        sum += value;
    }
    return sum;
}

long churn(unsigned count) {
    for (unsigned i = 0; i < count; ++i) {
        void* block = nk_malloc(64 + i % 256);
        if (!block)
            return -NK_ENOMEM;
        nk_free(block);
    }
    return count;
}

// Kept in the module's data so the compiler cannot see through the misbehaviour below.
volatile long g_zero = 0;
volatile unsigned long g_seed = 0x9e3779b97f4a7c15ul;
volatile long* volatile g_null = nullptr;

int recurse(int depth) {
    volatile char frame[256];
    frame[0] = char(depth);
    if (g_zero == 1) // never: keeps the recursion finite in the compiler's eyes
        return 0;
    return recurse(depth + 1) + frame[0];
}

long crash(long kind, long target) {
    switch (kind) {
    case NOOKS_CRASH_NULL:
        return *g_null;
    case NOOKS_CRASH_WILD_WRITE: {
        // Somewhere in the kernel's physmap (0xffff800000000000 + up to 256 MiB).
        g_seed = g_seed * 6364136223846793005ul + 1442695040888963407ul;
        auto* wild = reinterpret_cast<volatile long*>(0xffff800000000000ul + (g_seed >> 36) * 8);
        *wild = 0xbad;
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
        nk_free(reinterpret_cast<void*>(0xffffffff80100000ul));
        return 0;
    case NOOKS_CRASH_DOUBLE_FREE: {
        void* block = nk_malloc(48);
        nk_free(block);
        nk_free(block);
        return 0;
    }
    case NOOKS_CRASH_LEAK:
        for (int i = 0; i < 100; ++i)
            (void)nk_malloc(1000);
        return *g_null;
    case NOOKS_CRASH_PANIC:
        nk_bug("test extension: deliberate assertion failure");
    }
    return -NK_EINVAL;
}

volatile long g_timer_callbacks = 0;

void on_timer(void*) {
    g_timer_callbacks = g_timer_callbacks + 1;
}

long wait_for_timer(long count) {
    g_timer_callbacks = 0;
    nk_timer_handle timer;
    nk_status status = nk_timer_start(1, 1, on_timer, nullptr, &timer);
    if (status < 0)
        return status;
    // Bounded: about a second of spinning at most, whatever the emulator's speed.
    uint64_t deadline = nk_uptime_ns() + 1000000000ull;
    while (g_timer_callbacks < count && nk_uptime_ns() < deadline)
        asm volatile("pause");
    nk_timer_cancel(timer);
    return g_timer_callbacks;
}

nk_dma_handle g_dma = nullptr;
nk_pci_device g_device = nullptr;

long device(long action, long argument) {
    switch (action) {
    case 0: {
        uint64_t bus = 0;
        auto* buffer = static_cast<unsigned char*>(nk_dma_alloc(8192, &bus, &g_dma));
        if (!buffer)
            return -NK_ENOMEM;
        for (int i = 0; i < 8192; ++i)
            buffer[i] = static_cast<unsigned char>(argument);
        return static_cast<long>(bus);
    }
    case 1:
        nk_dma_free(g_dma);
        g_dma = nullptr;
        return 0;
    case 2: {
        nk_mmio_handle handle;
        auto* registers = static_cast<volatile uint32_t*>(
            nk_ioremap(static_cast<uint64_t>(argument), 32, &handle));
        if (!registers)
            return -1;
        registers[0] = 1; // IOREGSEL: the version register
        long version = registers[4];
        nk_iounmap(handle);
        return version;
    }
    case 3: {
        nk_status status = nk_pci_claim(static_cast<uint16_t>(argument >> 16),
                                        static_cast<uint16_t>(argument), &g_device);
        if (status < 0)
            return status;
        nk_pci_bar bar;
        status = nk_pci_get_bar(g_device, 0, &bar);
        if (status < 0 || bar.is_io)
            return status < 0 ? status : -NK_ENODEV;
        nk_pci_enable(g_device);
        nk_mmio_handle handle;
        auto* registers = static_cast<volatile uint32_t*>(nk_ioremap(bar.address, 16, &handle));
        if (!registers)
            return -NK_ENOMEM;
        long value = registers[2];
        nk_iounmap(handle);
        return value;
    }
    case 4:
        nk_pci_release(g_device);
        g_device = nullptr;
        return 0;
    case 5: {
        nk_status status = nk_pci_claim(static_cast<uint16_t>(argument >> 16),
                                        static_cast<uint16_t>(argument), &g_device);
        return status < 0 ? status : nk_inb(0x3f6); // ATA alternate status
    }
    case 6:
        return nk_inb(static_cast<uint16_t>(argument));
    }
    return -NK_EINVAL;
}

const nooks_test_ops g_ops = {echo, fill, churn, crash, wait_for_timer, device};

nk_status test_init() {
    nk_log("test extension: initialised\n");
    return 0;
}

void test_exit() {
    nk_log("test extension: unloading\n");
}

} // namespace

NOOKS_MODULE("test", NOOKS_CLASS_TEST, test_init, test_exit, &g_ops);
