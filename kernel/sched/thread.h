// A kernel thread: a kernel stack, a saved context, and the address space (later: the Nooks
// protection domain) it runs in. A user process's thread enters ring 3 from its kernel thread.
#pragma once

#include <kernel/sched/kernel_stack.h>
#include <nk/intrusive_list.h>
#include <nk/types.h>

namespace kernel {

class Process;
class WaitQueue;

enum class ThreadState : nk::u8 {
    Runnable, // on a ready queue
    Running,
    Blocked, // on a wait queue, or sleeping
    Dead,    // finished; its stack is freed by the next thread to run
};

// Priorities, highest first. The idle thread alone has Idle.
enum class Priority : nk::u8 { Idle = 0, Low = 1, Normal = 2, High = 3 };
constexpr unsigned PRIORITY_COUNT = 4;

const char* thread_state_name(ThreadState state);

class Thread {
public:
    nk::u64 id = 0;
    char name[32] = {};
    ThreadState state = ThreadState::Runnable;
    Priority priority = Priority::Normal;

    nk::u64 saved_rsp = 0;
    // Where a privilege change to ring 0 puts this thread's stack (TSS.RSP0): its stack top, or,
    // while it is inside a protection domain, the crossing's frame (arch/x86/domain_call.h).
    // Saved and restored at every switch; 0 until the thread first runs (the boot thread).
    nk::u64 entry_stack = 0;
    // The kernel-stack slot of its innermost crossing into a protection domain, or 0
    // (arch/x86/domain_call.h).
    nk::u64 domain_slot = 0;
    KernelStack stack = {};
    bool owns_stack = true; // false for the boot thread (boot stack)

    // The page table this thread runs with (physical PML4) and its PCID.
    nk::u64 address_space_root = 0;
    nk::u16 pcid = 0;
    Process* process = nullptr;

    void (*entry)(void*) = nullptr;
    void* entry_argument = nullptr;

    // Scheduling bookkeeping.
    nk::u64 slice_ticks_left = 0;
    nk::u64 wake_tick = 0; // while sleeping
    bool sleeping = false;
    bool woken_by_timeout = false;
    WaitQueue* waiting_on = nullptr; // while blocked on a wait queue
    // The innermost crossing into an extension's protection domain this thread is making
    // (nooks/xpc.h), or nullptr.
    void* nooks_crossing = nullptr;
    // The extension thread record (nooks/extension_thread.h) when an extension started it.
    void* nooks_thread = nullptr;
    // The natively loaded extension this thread is executing, or nullptr.
    void* nooks_native_extension = nullptr;
    // The crossing-atomic write set of the file-system request this thread is making
    // (kernel/block/write_transaction.h), or nullptr.
    void* block_transaction = nullptr;
    // errno of lwIP's socket layer for this thread (kernel/net/lwip/sys_arch.cpp).
    int socket_errno = 0;
    nk::u64 context_switches = 0;
    nk::u64 run_ticks = 0;

    nk::IntrusiveListNode queue_node; // ready queue or a wait queue
    nk::IntrusiveListNode sleep_node; // the sleep list
    nk::IntrusiveListNode all_node;   // every live thread
};

} // namespace kernel
