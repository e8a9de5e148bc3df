/* The kernel services an extension may call: a plain, Linux-driver-like interface. In native
 * mode each import is bound to the kernel function itself; in isolated mode to a generated
 * wrapper that checks every argument (pointers inside the caller's domain, lengths bounded,
 * handles owned by the caller) and records what the extension obtains in the object tracker. */
#pragma once

#include <nooks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Memory. Allocations come from the extension's own heap (in its domain when isolated) and are
 * released automatically if the extension crashes or is unloaded. */
void* nk_malloc(size_t size);
void* nk_zalloc(size_t size);
void nk_free(void* pointer);

/* DMA buffers: `size` bytes of zeroed, physically contiguous memory the extension can write,
 * and the bus address a device uses for it. Released with the extension if it crashes. */
void* nk_dma_alloc(size_t size, uint64_t* bus_address, nk_dma_handle* out);
void nk_dma_free(nk_dma_handle handle);

/* Device registers: maps `size` bytes of physical address space (not RAM) uncached. */
volatile void* nk_ioremap(uint64_t phys, size_t size, nk_mmio_handle* out);
void nk_iounmap(nk_mmio_handle handle);

/* PCI devices. A device is claimed by one extension at a time; a crash releases the claim and
 * stops the device's bus mastering (no DMA from a dead driver). */
struct nk_pci_bar {
    uint64_t address;
    uint64_t size;
    uint32_t is_io;
    uint32_t reserved;
};
nk_status nk_pci_claim(uint16_t vendor, uint16_t device, nk_pci_device* out);
void nk_pci_release(nk_pci_device device);
nk_status nk_pci_get_bar(nk_pci_device device, unsigned index, struct nk_pci_bar* out);
/* The legacy interrupt line, or -ENODEV when the device has none. */
nk_status nk_pci_irq_line(nk_pci_device device);
/* Turns on memory and I/O decoding and bus mastering. */
void nk_pci_enable(nk_pci_device device);

/* Port I/O. Isolated extensions may use only the I/O BARs of devices they claimed (and, for a
 * claimed IDE controller, the legacy ATA ports 0x1f0-0x1f7, 0x3f6, 0x170-0x177, 0x376). */
uint8_t nk_inb(uint16_t port);
uint16_t nk_inw(uint16_t port);
uint32_t nk_inl(uint16_t port);
void nk_outb(uint16_t port, uint8_t value);
void nk_outw(uint16_t port, uint16_t value);
void nk_outl(uint16_t port, uint32_t value);

/* Load parameters (`ext load PATH key=value ...`), the same after every restart: copies the
 * value of `key` into `out` (NUL-terminated, truncated to `size` bytes) and returns its full
 * length, or -NK_ENOENT. */
nk_status nk_param(const char* key, char* out, size_t size);
/* How many times the extension has been started: 1 at the first load, 2 after one restart... */
uint64_t nk_incarnation(void);

/* Logging to the kernel log, prefixed with the extension's name. */
void nk_log(const char* format, ...) __attribute__((format(printf, 1, 2)));

/* A broken invariant the extension cannot continue from: a kernel panic in native mode; in
 * isolated mode the extension is failed and restarted instead. */
void nk_bug(const char* message) __attribute__((noreturn));

/* Time. In a thread started with nk_thread_create, nk_sleep_ms returns early when the thread is
 * asked to stop (nk_thread_should_stop). */
uint64_t nk_uptime_ns(void);
/* Wall-clock time: seconds since 1970-01-01 00:00 UTC, or 0 when the machine has no clock. */
uint64_t nk_time_seconds(void);
void nk_sleep_ms(uint64_t milliseconds);
/* The same two times as a structure the kernel refreshes at every tick (1 ms), read in place:
 * for an isolated extension each nk_uptime_ns or nk_time_seconds is a crossing, reading this is
 * not. Read-only; fetch the pointer once. */
struct nk_clock {
    volatile uint64_t uptime_ns;     /* at the last tick */
    volatile uint64_t epoch_seconds; /* 0 when the machine has no clock */
    volatile uint64_t busy_ns;       /* CPU time not halted since boot, at the last tick */
};
const struct nk_clock* nk_clock(void);

/* Threads: fn(context) runs in a new kernel thread (inside the extension's domain when it is
 * isolated) until it returns. A thread that loops checks nk_thread_should_stop(). */
typedef void (*nk_thread_fn)(void* context);
nk_status nk_thread_create(const char* name, nk_thread_fn fn, void* context, nk_thread_handle* out);
/* Asks the thread to stop, wakes it from nk_sleep_ms, waits until fn has returned and releases
 * the handle. A thread cannot stop itself. Threads still running when the extension is unloaded
 * or crashes are stopped the same way. */
void nk_thread_stop(nk_thread_handle handle);
/* Nonzero once the running thread has been asked to stop. */
int nk_thread_should_stop(void);

/* Sleeping mutexes (not for interrupt context). Locking one the thread already holds, or
 * unlocking one it does not hold, is a bug: a panic natively, a failed extension isolated. If an
 * isolated extension crashes, its mutexes are broken open and the threads waiting on them leave
 * the extension. */
nk_status nk_mutex_create(nk_mutex_handle* out);
void nk_mutex_lock(nk_mutex_handle mutex);
void nk_mutex_unlock(nk_mutex_handle mutex);
void nk_mutex_destroy(nk_mutex_handle mutex);

/* Events: a driver's thread waits for its interrupt handler to say a command completed. An
 * event is set by nk_event_signal (from any context, interrupt handlers and timers included)
 * and cleared by the nk_event_wait it ends. Waits are bounded: 0 once signalled, -NK_ETIMEDOUT
 * after `milliseconds` (at most 60000), -NK_ECANCELED when the extension is being torn down.
 * Not from interrupt context. */
nk_status nk_event_create(nk_event_handle* out);
nk_status nk_event_wait(nk_event_handle event, uint64_t milliseconds);
void nk_event_signal(nk_event_handle event);
void nk_event_destroy(nk_event_handle event);

/* Spinlocks that also keep interrupts off: for data shared with IRQ handlers and timers. They
 * live in the extension's own memory and cost no crossing. Natively (CPL 0) they clear the
 * interrupt flag. Isolated (CPL 1, where `cli` faults) they raise the extension's interrupt mask
 * instead: while it is up the kernel holds back this extension's IRQ handlers and timer
 * callbacks — on one CPU, the only code such a lock excludes — and does not preempt the thread
 * holding it; the unlock runs what was held back (one crossing, only then). An entry point that
 * returns with the mask still up (a lock never released) fails the extension. A crash while one
 * is held loses the lock with the extension's memory. */
typedef struct {
    volatile int locked;
} nk_spinlock;
#define NK_SPINLOCK_INIT                                                                           \
    { 0 }
/* [0]: depth of interrupts-off sections; [1]: set by the kernel when it held something back. */
#ifdef NOOKS_EXTENSION
__attribute__((weak)) volatile uint32_t nooks_irq_mask[2];
#else
extern volatile uint32_t nooks_irq_mask[2];
#endif
/* Runs the IRQ handlers and timer callbacks held back while the mask was up. */
void nk_irq_resume(void);
#define NK_IRQ_MASKED (1ul << 63) /* in the flags: the mask was raised, not IF cleared */
static inline unsigned long nk_spin_lock_irqsave(nk_spinlock* lock) {
    unsigned long flags;
    unsigned short cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    if ((cs & 3) == 0) {
        __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
    } else {
        __atomic_add_fetch(&nooks_irq_mask[0], 1, __ATOMIC_SEQ_CST);
        flags = NK_IRQ_MASKED;
    }
    while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
    return flags;
}
static inline void nk_spin_unlock_irqrestore(nk_spinlock* lock, unsigned long flags) {
    __atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
    if (flags & NK_IRQ_MASKED) {
        if (__atomic_sub_fetch(&nooks_irq_mask[0], 1, __ATOMIC_SEQ_CST) == 0 && nooks_irq_mask[1])
            nk_irq_resume();
    } else if (flags & 0x200) { /* RFLAGS.IF */
        __asm__ volatile("sti" ::: "memory");
    }
}

/* Port I/O straight from the extension, without a crossing (a driver's PIO data loop, say).
 * Natively any port; isolated, the CPU checks every access against the domain's I/O permission
 * bitmap — the I/O BARs of the PCI devices the extension claimed, and the legacy ATA ports of a
 * claimed IDE controller — and any other port is a fault that fails the extension. */
static inline uint8_t nk_io_in8(uint16_t port) {
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}
static inline uint16_t nk_io_in16(uint16_t port) {
    uint16_t value;
    __asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}
static inline uint32_t nk_io_in32(uint16_t port) {
    uint32_t value;
    __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}
static inline void nk_io_out8(uint16_t port, uint8_t value) {
    __asm__ volatile("outb %0, %1" ::"a"(value), "Nd"(port));
}
static inline void nk_io_out16(uint16_t port, uint16_t value) {
    __asm__ volatile("outw %0, %1" ::"a"(value), "Nd"(port));
}
static inline void nk_io_out32(uint16_t port, uint32_t value) {
    __asm__ volatile("outl %0, %1" ::"a"(value), "Nd"(port));
}
/* `count` 16-bit words from the port into `buffer` (rep insw), and back (rep outsw). */
static inline void nk_io_ins16(uint16_t port, void* buffer, size_t count) {
    __asm__ volatile("rep insw" : "+D"(buffer), "+c"(count) : "d"(port) : "memory");
}
static inline void nk_io_outs16(uint16_t port, const void* buffer, size_t count) {
    __asm__ volatile("rep outsw" : "+S"(buffer), "+c"(count) : "d"(port) : "memory");
}

/* Interrupts: handler returns nonzero when its device raised the interrupt. */
typedef int (*nk_irq_handler)(void* context);
nk_status nk_request_irq(unsigned line, nk_irq_handler handler, void* context, nk_irq_handle* out);
void nk_free_irq(nk_irq_handle handle);

/* An interrupt that only has to wake a waiting thread: the kernel signals `event` itself on
 * every interrupt of `line` and calls nothing in the extension (no crossing), and the driver
 * acknowledges the device after its nk_event_wait. Only for a line nobody else shares that
 * stays quiet until acknowledged — an edge-triggered ISA line such as a legacy IDE channel's;
 * a level-triggered line would keep interrupting and be masked as a storm. */
nk_status nk_irq_event(unsigned line, nk_event_handle event, nk_irq_handle* out);

/* Timers: callback runs in interrupt context. */
typedef void (*nk_timer_callback)(void* context);
nk_status nk_timer_start(uint64_t milliseconds, int periodic, nk_timer_callback callback,
                         void* context, nk_timer_handle* out);
void nk_timer_cancel(nk_timer_handle handle);

#ifdef __cplusplus
}
#endif
