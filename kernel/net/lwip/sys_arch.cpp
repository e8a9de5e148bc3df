// lwIP's operating-system layer (lwIP 2.1.3, doc/sys_arch.txt) on the kernel's own primitives:
// semaphores are kernel::Semaphore, mutexes kernel::Mutex, threads kernel threads, time the
// 1 kHz tick. A mailbox is a ring of pointers between two counting semaphores (messages and free
// slots), so a full mailbox blocks a poster and an empty one a fetcher, each with lwIP's timeout.
// The lightweight protection is the interrupt flag: this kernel runs on one CPU.
#include <arch/x86/interrupt_state.h>
#include <kernel/debug/panic.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/sched/scheduler.h>
#include <kernel/sync/mutex.h>
#include <kernel/sync/semaphore.h>
#include <kernel/time/clock.h>

#include <nk/utility.h>
#include <stdarg.h>
#include <stdio.h>

extern "C" {
#include "lwip/err.h"
#include "lwip/sys.h"
}

struct nk_lwip_semaphore {
    kernel::Semaphore semaphore;
};

struct nk_lwip_mutex {
    kernel::Mutex mutex;
};

struct nk_lwip_mailbox {
    explicit nk_lwip_mailbox(nk::u32 size) : free_slots(size), size(size) {}
    kernel::Semaphore messages{0};
    kernel::Semaphore free_slots;
    nk::u32 size;
    nk::u32 head = 0; // next to fetch
    nk::u32 tail = 0; // next free
    void* slots[];
};

namespace {

template <typename T, typename... Args>
T* make(nk::usize extra, Args... args) {
    void* memory = kmalloc(sizeof(T) + extra);
    return memory ? new (memory) T(args...) : nullptr;
}

template <typename T>
void destroy(T* object) {
    object->~T();
    kfree(object);
}

// A wait of lwIP's kind: `timeout` ms (0: forever) for `semaphore`; the ms waited, or
// SYS_ARCH_TIMEOUT.
u32_t wait(kernel::Semaphore& semaphore, u32_t timeout) {
    nk::u64 start = kernel::clock::ticks();
    if (timeout == 0)
        semaphore.down();
    else if (!semaphore.down_for(timeout))
        return SYS_ARCH_TIMEOUT;
    nk::u64 waited = kernel::clock::ticks() - start;
    return u32_t(waited < SYS_ARCH_TIMEOUT ? waited : SYS_ARCH_TIMEOUT - 1);
}

void* take(nk_lwip_mailbox& box) {
    nk::u64 flags = x86::save_and_disable_interrupts();
    void* message = box.slots[box.head];
    box.head = (box.head + 1) % box.size;
    x86::restore_interrupts(flags);
    box.free_slots.up();
    return message;
}

void put(nk_lwip_mailbox& box, void* message) {
    nk::u64 flags = x86::save_and_disable_interrupts();
    box.slots[box.tail] = message;
    box.tail = (box.tail + 1) % box.size;
    x86::restore_interrupts(flags);
    box.messages.up();
}

nk::u64 g_random_state = 0;

} // namespace

extern "C" {

void sys_init(void) {}

u32_t sys_now(void) {
    return u32_t(kernel::clock::ticks() * 1000 / kernel::clock::TICK_HZ);
}

sys_prot_t sys_arch_protect(void) {
    return x86::save_and_disable_interrupts();
}

void sys_arch_unprotect(sys_prot_t flags) {
    x86::restore_interrupts(flags);
}

err_t sys_sem_new(sys_sem_t* sem, u8_t count) {
    sem->object = make<nk_lwip_semaphore>(0);
    if (!sem->object)
        return ERR_MEM;
    for (u8_t i = 0; i < count; ++i)
        sem->object->semaphore.up();
    return ERR_OK;
}

void sys_sem_signal(sys_sem_t* sem) {
    sem->object->semaphore.up();
}

u32_t sys_arch_sem_wait(sys_sem_t* sem, u32_t timeout) {
    return wait(sem->object->semaphore, timeout);
}

void sys_sem_free(sys_sem_t* sem) {
    destroy(sem->object);
    sem->object = nullptr;
}

err_t sys_mutex_new(sys_mutex_t* mutex) {
    mutex->object = make<nk_lwip_mutex>(0);
    return mutex->object ? ERR_OK : ERR_MEM;
}

void sys_mutex_lock(sys_mutex_t* mutex) {
    mutex->object->mutex.lock();
}

void sys_mutex_unlock(sys_mutex_t* mutex) {
    mutex->object->mutex.unlock();
}

void sys_mutex_free(sys_mutex_t* mutex) {
    destroy(mutex->object);
    mutex->object = nullptr;
}

err_t sys_mbox_new(sys_mbox_t* mbox, int size) {
    nk::u32 slots = size > 0 ? nk::u32(size) : 64;
    mbox->object = make<nk_lwip_mailbox>(slots * sizeof(void*), slots);
    return mbox->object ? ERR_OK : ERR_MEM;
}

void sys_mbox_post(sys_mbox_t* mbox, void* message) {
    mbox->object->free_slots.down();
    put(*mbox->object, message);
}

err_t sys_mbox_trypost(sys_mbox_t* mbox, void* message) {
    if (!mbox->object->free_slots.try_down())
        return ERR_MEM;
    put(*mbox->object, message);
    return ERR_OK;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t* mbox, void* message) {
    return sys_mbox_trypost(mbox, message);
}

u32_t sys_arch_mbox_fetch(sys_mbox_t* mbox, void** message, u32_t timeout) {
    u32_t waited = wait(mbox->object->messages, timeout);
    if (waited == SYS_ARCH_TIMEOUT)
        return SYS_ARCH_TIMEOUT;
    void* taken = take(*mbox->object);
    if (message)
        *message = taken;
    return waited;
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t* mbox, void** message) {
    if (!mbox->object->messages.try_down())
        return SYS_MBOX_EMPTY;
    void* taken = take(*mbox->object);
    if (message)
        *message = taken;
    return 0;
}

void sys_mbox_free(sys_mbox_t* mbox) {
    destroy(mbox->object);
    mbox->object = nullptr;
}

sys_thread_t sys_thread_new(const char* name, lwip_thread_fn function, void* argument, int, int) {
    auto thread = kernel::sched::create_thread(name, function, argument);
    if (thread.is_error())
        kernel::panic("lwip: cannot create thread %s", name); // lwIP has no way to hear it
    kernel::sched::start(thread.value());
    return thread.value();
}

void nk_lwip_diag(const char* format, ...) {
    va_list args;
    va_start(args, format);
    vkprintf(format, args);
    va_end(args);
}

void nk_lwip_assert(const char* message, const char* file, int line) {
    kernel::panic("lwip: assertion \"%s\" failed at %s:%d", message, file, line);
}

uint32_t nk_lwip_random(void) {
    // xorshift64*, seeded from the TSC the first time (initial sequence numbers, ports, DHCP
    // transaction ids: unpredictable enough for a research kernel, not for cryptography).
    nk::u64 flags = x86::save_and_disable_interrupts();
    if (g_random_state == 0)
        g_random_state = kernel::clock::boot_entry_tsc() ^ (kernel::clock::ticks() << 32) ^
                         0x9e3779b97f4a7c15ull;
    g_random_state ^= g_random_state >> 12;
    g_random_state ^= g_random_state << 25;
    g_random_state ^= g_random_state >> 27;
    nk::u64 value = g_random_state * 2685821657736338717ull;
    x86::restore_interrupts(flags);
    return uint32_t(value >> 32);
}

int* nk_lwip_errno(void) {
    return &kernel::sched::current()->socket_errno;
}

} // extern "C"
