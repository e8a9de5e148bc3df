// The test extension: a module with one entry point per crossing kind. It is written against the
// extension API only (nooks/include); the build gives it no other include path.
#include <nooks/block.h>
#include <nooks/extension.h>
#include <nooks/fs.h>
#include <nooks/kernel_api.h>
#include <nooks/net.h>
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
    case NOOKS_CRASH_HEAP_SCRIBBLE: {
        // The heap's bookkeeping sits at the start of the block's page, in memory the extension
        // may write: trample it, then ask the heap for more.
        auto* block = static_cast<unsigned char*>(nk_malloc(32));
        auto* page = reinterpret_cast<volatile unsigned long*>(
            reinterpret_cast<unsigned long>(block) & ~4095ul);
        for (int i = 0; i < 8; ++i)
            page[i] = 0xffffffff80100000ul + unsigned(i) * 8;
        return nk_malloc(32) != nullptr;
    }
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

// ---- Threads and locks.

nk_mutex_handle g_mutex = nullptr;
nk_thread_handle g_worker = nullptr;
volatile long g_worker_count = 0;

void worker(void*) {
    while (!nk_thread_should_stop()) {
        nk_mutex_lock(g_mutex);
        g_worker_count = g_worker_count + 1;
        nk_mutex_unlock(g_mutex);
        nk_sleep_ms(1);
    }
}

// ---- Registered objects: a RAM block device, a loopback NIC, a file-system type.

constexpr uint32_t BLOCK_SECTORS = 64;
unsigned char* g_disk = nullptr;
nk_blkdev_handle g_blkdev = nullptr;
nk_netdev_handle g_netdev = nullptr;
nk_fs_handle g_fs = nullptr;

nk_status ram_transfer(void*, nooks_block_request* request) {
    unsigned char* at = g_disk + request->sector * 512;
    size_t bytes = size_t(request->count) * 512;
    if (request->operation == NOOKS_BLOCK_FLUSH)
        return 0;
    unsigned char* from =
        request->operation == NOOKS_BLOCK_READ ? at : static_cast<unsigned char*>(request->buffer);
    unsigned char* to =
        request->operation == NOOKS_BLOCK_READ ? static_cast<unsigned char*>(request->buffer) : at;
    for (size_t i = 0; i < bytes; ++i)
        to[i] = from[i];
    return 0;
}

nk_status loop_open(void*) {
    return 0;
}
void loop_stop(void*) {}
nk_status loop_transmit(void*, const void* frame, size_t length) {
    nk_netif_rx(g_netdev, frame, length);
    return 0;
}

nk_status testfs_mount(const char*, void**, nooks_fs_node*) {
    return -NK_ENOSYS;
}
nk_status testfs_request(void*, nooks_fs_request*) {
    return -NK_ENOSYS;
}

const nooks_block_ops g_block_ops = {ram_transfer};
const nooks_net_ops g_net_ops = {loop_open, loop_stop, loop_transmit, nullptr, nullptr};
const nooks_fs_ops g_fs_ops = {testfs_mount, nullptr, testfs_request, 0, 0};

long register_objects() {
    g_disk = static_cast<unsigned char*>(nk_zalloc(BLOCK_SECTORS * 512));
    if (!g_disk)
        return -NK_ENOMEM;
    nooks_block_device_info disk = {"tblk0", 512, 0, BLOCK_SECTORS};
    nk_status status = nk_blkdev_register(&disk, &g_block_ops, nullptr, &g_blkdev);
    if (status < 0)
        return status;
    nooks_net_device_info nic = {"tnet0", {0x02, 0, 0, 0, 0, 1}, 0, 1500};
    status = nk_netdev_register(&nic, &g_net_ops, nullptr, &g_netdev);
    if (status < 0)
        return status;
    return nk_fs_register("testfs", &g_fs_ops, &g_fs);
}

long read_block(long sector, void* buffer) {
    nooks_block_device_info info;
    nk_block_handle handle;
    nk_status status = nk_block_open("tblk0", &info, &handle);
    if (status < 0)
        return status;
    unsigned char own[512];
    status = nk_block_read(handle, static_cast<uint64_t>(sector), 1, buffer ? buffer : own);
    nk_block_close(handle);
    if (status < 0)
        return status;
    long sum = 0;
    for (unsigned char byte : own)
        sum += byte;
    return sum;
}

long objects(long action, long argument) {
    switch (action) {
    case NOOKS_TEST_START_WORKER: {
        nk_status status = nk_mutex_create(&g_mutex);
        if (status < 0)
            return status;
        g_worker_count = 0;
        return nk_thread_create("worker", worker, nullptr, &g_worker);
    }
    case NOOKS_TEST_WORKER_COUNT:
        return g_worker_count;
    case NOOKS_TEST_STOP_WORKER:
        nk_thread_stop(g_worker);
        nk_mutex_destroy(g_mutex);
        g_worker = nullptr;
        g_mutex = nullptr;
        return g_worker_count;
    case NOOKS_TEST_REGISTER:
        return register_objects();
    case NOOKS_TEST_UNREGISTER:
        nk_blkdev_unregister(g_blkdev);
        nk_netdev_unregister(g_netdev);
        nk_fs_unregister(g_fs);
        nk_free(g_disk);
        g_disk = nullptr;
        return 0;
    case NOOKS_TEST_CRASH_HOLDING_LOCK:
        nk_mutex_lock(g_mutex);
        return *g_null;
    case NOOKS_TEST_READ_BLOCK:
        return read_block(argument, nullptr);
    case NOOKS_TEST_READ_BLOCK_INTO:
        return read_block(0, reinterpret_cast<void*>(argument));
    }
    return -NK_EINVAL;
}

const nooks_test_ops g_ops = {echo, fill, churn, crash, wait_for_timer, device, objects};

nk_status test_init() {
    nk_log("test extension: initialised\n");
    return 0;
}

void test_exit() {
    nk_log("test extension: unloading\n");
    // Natively its memory is the kernel heap's, and nobody tracks it: give the disk back. The
    // registrations are left on purpose, for the unload to release (the tests check it does).
    nk_free(g_disk);
    g_disk = nullptr;
}

} // namespace

NOOKS_MODULE("test", NOOKS_CLASS_TEST, test_init, test_exit, &g_ops);
