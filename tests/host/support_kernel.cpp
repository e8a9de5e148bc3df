// See support_kernel.h.
#include "support_kernel.h"

#include <kernel/memory/kmalloc.h>
#include <kernel/sync/mutex.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

std::size_t g_live_blocks = 0;
bool g_failing = false;
std::size_t g_allocations_left = 0;

bool allocation_allowed() {
    if (!g_failing)
        return true;
    if (g_allocations_left == 0)
        return false;
    --g_allocations_left;
    return true;
}

} // namespace

namespace host {

std::size_t kmalloc_live_blocks() {
    return g_live_blocks;
}

void kmalloc_fail_after(std::size_t count) {
    g_failing = true;
    g_allocations_left = count;
}

void kmalloc_fail_never() {
    g_failing = false;
}

} // namespace host

extern "C" {

void* kmalloc(size_t size) {
    if (!allocation_allowed())
        return nullptr;
    void* block = std::malloc(size ? size : 1);
    if (block)
        ++g_live_blocks;
    return block;
}

void* kzalloc(size_t size) {
    void* block = kmalloc(size);
    if (block)
        std::memset(block, 0, size);
    return block;
}

void kfree(void* pointer) {
    if (!pointer)
        return;
    --g_live_blocks;
    std::free(pointer);
}

} // extern "C"

namespace kernel {

// Any non-null value marks the mutex as owned; there is only one host thread.
void Mutex::lock() {
    if (m_owner) {
        std::fprintf(stderr, "host Mutex %p locked twice (a deadlock in the kernel)\n",
                     static_cast<void*>(this));
        std::abort();
    }
    m_owner = reinterpret_cast<Thread*>(this);
}

void Mutex::unlock() {
    if (!m_owner) {
        std::fprintf(stderr, "host Mutex %p unlocked while free\n", static_cast<void*>(this));
        std::abort();
    }
    m_owner = nullptr;
}

bool Mutex::try_lock() {
    if (m_owner)
        return false;
    m_owner = reinterpret_cast<Thread*>(this);
    return true;
}

bool Mutex::is_held_by_current_thread() const {
    return m_owner != nullptr;
}

} // namespace kernel
