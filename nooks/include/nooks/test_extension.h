/* The test extension class: entry points that exercise every kind of crossing and, on request,
 * every kind of fault (used by the in-kernel and boot tests of the isolation subsystem). */
#pragma once

#include <nooks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nooks_test_ops {
    /* Returns its argument plus one: the null crossing. */
    long (*echo)(long value);
    /* Fills `buffer` (kernel-provided) with `length` bytes of `value` and returns the sum of the
     * bytes: a crossing with an in/out buffer. */
    long (*fill)(unsigned char* buffer, size_t length, unsigned char value);
    /* Allocates and frees through the kernel API `count` times: crossings back into the kernel. */
    long (*churn)(unsigned count);
    /* Misbehaves as asked (enum nooks_crash_kind). `target` is a kernel address for the kinds
     * that write somewhere they must not. Returns only for kinds the kernel refuses cleanly. */
    long (*crash)(long kind, long target);
    /* Arms a 1 ms periodic timer and spins (interrupts on) until its callback has run `count`
     * times: the timer interrupt lands while this thread is inside the extension, and the
     * kernel's timer code calls back into the same extension — a nested crossing. Returns the
     * number of callbacks seen, or -errno. */
    long (*wait_for_timer)(long count);
    /* Devices: action 0 allocates an 8 KiB DMA buffer filled with `argument` and returns its
     * bus address; 1 frees it; 2 maps the registers at physical `argument` and returns the
     * 32-bit register at offset 16, or -1 when the mapping is refused (anything but a memory BAR
     * of a device the extension claimed); 3 claims the
     * PCI device `argument` (vendor << 16 | device), maps its BAR 0, enables it and returns the
     * 32-bit register at offset 8 (an e1000's STATUS); 4 releases the claim; 5 claims the PCI
     * device `argument` (an IDE controller) and reads port 0x3f6; 6 reads port `argument`. */
    long (*device)(long action, long argument);
    /* Threads, locks and registered objects (enum nooks_test_object_action). */
    long (*objects)(long action, long argument);
};

enum nooks_test_object_action {
    /* Creates a mutex and starts a worker thread that, until asked to stop, takes the mutex,
     * bumps a counter and sleeps 1 ms. */
    NOOKS_TEST_START_WORKER = 0,
    /* The worker's counter. */
    NOOKS_TEST_WORKER_COUNT = 1,
    /* Stops the worker (nk_thread_stop) and destroys the mutex; returns the counter. */
    NOOKS_TEST_STOP_WORKER = 2,
    /* Registers block device "tblk0" (64 sectors of 512 bytes in its heap), network device
     * "tnet0" (a loopback: a transmitted frame comes back through nk_netif_rx) and file-system
     * type "testfs". */
    NOOKS_TEST_REGISTER = 3,
    /* Unregisters the three. */
    NOOKS_TEST_UNREGISTER = 4,
    /* Takes the worker's mutex and faults while holding it. */
    NOOKS_TEST_CRASH_HOLDING_LOCK = 5,
    /* As a file system would: opens block device "tblk0", reads sector `argument` and returns
     * the sum of its bytes. */
    NOOKS_TEST_READ_BLOCK = 6,
    /* nk_block_read into `argument` (a kernel address: a wild buffer). */
    NOOKS_TEST_READ_BLOCK_INTO = 7,
};

enum nooks_crash_kind {
    NOOKS_CRASH_NULL = 0,           /* NULL dereference */
    NOOKS_CRASH_WILD_WRITE = 1,     /* write to a random kernel address */
    NOOKS_CRASH_KERNEL_WRITE = 2,   /* write to a live kernel object (`target`) */
    NOOKS_CRASH_STACK_OVERFLOW = 3, /* unbounded recursion */
    NOOKS_CRASH_HANG = 4,           /* infinite loop, interrupts on */
    NOOKS_CRASH_HANG_CLI = 5,       /* infinite loop, interrupts off */
    NOOKS_CRASH_DIV0 = 6,           /* integer divide by zero */
    NOOKS_CRASH_UD = 7,             /* invalid opcode */
    NOOKS_CRASH_BAD_PARAM = 8,      /* a wild pointer passed to a kernel service */
    NOOKS_CRASH_DOUBLE_FREE = 9,    /* the same block freed twice */
    NOOKS_CRASH_LEAK = 10,          /* allocate without freeing, then fault */
    NOOKS_CRASH_PANIC = 11,         /* a kernel assertion reached through the API */
    NOOKS_CRASH_HEAP_SCRIBBLE = 12, /* overwrite its heap's metadata, then allocate */
    NOOKS_CRASH_KIND_COUNT = 13,
};

#ifdef __cplusplus
}
#endif
