// The registry of loaded extensions: loading a module file natively (imports bound to the
// kernel's functions), listing, and unloading. Isolated loading — the module in its own
// protection domain behind wrappers — builds on this.
#pragma once

#include <kernel/memory/heap.h>
#include <kernel/sched/deferred_work.h>
#include <nk/intrusive_list.h>
#include <nk/result.h>
#include <nk/types.h>
#include <nooks/crossing_trace.h>
#include <nooks/domain_memory.h>
#include <nooks/extension.h>
#include <nooks/module_loader.h>
#include <nooks/module_region.h>
#include <nooks/object_tracker.h>
#include <nooks/protection_domain.h>
#include <nooks/resource_limits.h>
#include <nooks/restart_policy.h>

namespace nooks {

enum class ExtensionMode : nk::u8 { Native, Isolated };
// Starting: init() is running (first load or a reload); Exiting: exit() is running during an
// unload. Calls enter the extension in those two states and in Running only. A fault while
// Starting fails that start (no recovery: the load or reload reports it, once); a fault while
// Exiting lets the unload go on. Stopping: being unloaded, nothing enters any more.
enum class ExtensionState : nk::u8 {
    Running,
    Recovering,
    Failed,
    Disabled,
    Stopping,
    Starting,
    Exiting
};

// Whether calls may enter an extension in this state.
inline bool accepts_calls(ExtensionState state) {
    return state == ExtensionState::Running || state == ExtensionState::Starting ||
           state == ExtensionState::Exiting;
}

const char* mode_name(ExtensionMode mode);
const char* state_name(ExtensionState state);
const char* class_name(nk::u32 extension_class);

struct FaultRecord {
    nk::u64 vector; // exception vector, or a FaultCause below 0x100
    nk::u64 error_code;
    nk::u64 rip;
    nk::u64 address;     // CR2 for page faults
    char where[96];      // the faulting address symbolized against the module
    char cause[112];     // "page fault", "watchdog: ran 512 ms", "wrapper check: nk_free"...
    nk::u64 recovery_us; // how long the recovery took
};

// Crossings counted per function: entry points of the extension (kernel -> extension, keyed by
// address) and kernel services it imports (extension -> kernel, keyed by name).
struct FunctionCount {
    nk::u64 key;
    const char* name; // imports only; entry points are named from the module's symbols
    nk::u64 calls;
};
constexpr unsigned COUNTED_FUNCTIONS = 32;
void count_function_call(FunctionCount* table, nk::u64 key, const char* name);

constexpr nk::usize MAX_PARAMETERS = 128;

struct Extension {
    char name[32];
    char parameters[MAX_PARAMETERS]; // as given to `ext load`, for nk_param
    nk::u32 extension_class;
    ExtensionMode mode;
    ExtensionState state;
    LoadedModule module;
    RegionAllocation region;
    const nooks_module_info* info; // inside the module image

    // Isolated mode: the domain and the extension's own memory.
    ProtectionDomain* domain;
    DomainHeapPages* heap_pages;
    kernel::Heap* heap;
    // Bounce blocks kept for the next crossing (BounceBuffer): a fresh 64 KiB block from the
    // heap costs mapping its pages into the domain every time, and even a small one costs a heap
    // allocation and free per crossing. They stay in the extension's heap and go with it.
    struct SpareBounce {
        void* block;
        nk::usize size;
    };
    static constexpr unsigned SPARE_BOUNCES = 8;
    SpareBounce spare_bounces[SPARE_BOUNCES];
    DomainStack stacks[DOMAIN_STACKS];
    ObjectTracker tracker;
    volatile nk::u64 active_crossings;
    // Counts loads: what a device registered by one incarnation checks before calling in.
    nk::u64 incarnation;
    // The module's interrupt mask (nooks_irq_mask in kernel_api.h: depth, held-back flag), in
    // its own memory; null when it uses no spinlock. Only the depth is trusted, and only as a
    // hint: a mask left up fails the extension.
    volatile nk::u32* irq_mask;
    // A fault `ext crash` armed for the next crossing (nooks/fault_injection.h), or -1.
    volatile int armed_fault;
    // `ext crash --after N --times K`: crossings still to let pass, firings still to come after
    // the next one, and the spacing between them.
    nk::u32 armed_skip;
    nk::u32 armed_again;
    nk::u32 armed_interval;

    // For reloads after a crash: the module file as it was loaded.
    nk::u8* pristine;
    nk::usize pristine_size;

    nk::u64 restarts;
    nk::u64 faults;
    nk::u64 crossings;
    nk::u64 wrapper_calls;
    FunctionCount entry_calls[COUNTED_FUNCTIONS];
    FunctionCount import_calls[COUNTED_FUNCTIONS];
    ResourceLimits limits;                      // isolated only (resource_limits.h)
    nk::u64 dma_pages;                          // DMA buffers held, in pages
    nk::u64 refused[unsigned(Resource::Count)]; // requests refused at a limit
    CrossingTrace trace;                        // the last crossings, both directions
    nk::u64 check_failures;
    bool has_fault;
    FaultRecord last_fault;
    nk::u64 restart_times_ns[MAX_RESTARTS]; // ring of recent restarts (restart_policy.h)
    // From the fault until the recovery thread has finished (queued, sleeping its backoff,
    // reloading): an unload waits for it, a second fault is folded into it. Counts recoveries
    // begun and not finished (`ext restart` included); nonzero means one is under way.
    volatile nk::u32 recovery_pending;
    kernel::DeferredWork recovery_work;
    // The registry's bookkeeping (extension_manager.cpp). `references`: ExtensionReferences
    // held (taken under the registry lock while the record is listed; dropped without it).
    // `managed`: a load, an unload or an `ext restart` is working on the record (registry lock):
    // a second one is refused rather than run into it.
    volatile nk::u32 references;
    bool managed;
    nk::IntrusiveListNode node;
};

// The extension's own heap, from the kernel side (wrappers, bounce buffers, shadow copies): the
// heap is shared with the extension's other threads and interrupt crossings, so each call runs
// with interrupts off.
nk::Result<void*> extension_heap_allocate(Extension& extension, nk::usize size);
// Error::Corrupt when the heap found its metadata (in pages the extension can write) damaged.
nk::ErrorOr extension_heap_free(Extension& extension, void* block);

// A block in an isolated extension's heap carrying one crossing's arguments or data (kernel
// memory is read-only in its domain). Freed at the end of its scope — unless the crossing was
// aborted: the heap then goes with the extension, and its recovery may already be under way.
class BounceBuffer {
public:
    // No block (ok() false) for a native extension, which has no heap of its own.
    BounceBuffer(Extension& extension, nk::usize size);
    ~BounceBuffer();
    BounceBuffer(const BounceBuffer&) = delete;
    BounceBuffer& operator=(const BounceBuffer&) = delete;

    bool ok() const { return m_block != nullptr; }
    template <typename T>
    T* as() const {
        return static_cast<T*>(m_block);
    }
    // Passes the crossing's result through, noting whether it was aborted.
    const nk::Result<long>& after(const nk::Result<long>& result) {
        if (result.is_error() && result.error() == nk::Error::Aborted)
            m_abandoned = true;
        return result;
    }

private:
    Extension& m_extension;
    void* m_block = nullptr;
    nk::usize m_size = 0;
    bool m_abandoned = false;
};

// A stack from the extension's pool (-1 when all are taken) and its return.
int acquire_domain_stack(Extension& extension);
void release_domain_stack(Extension& extension, int index);

// Loads, validates the module's metadata (ABI version, class, name, entry points inside its
// text), and runs its init() — through a crossing into its new protection domain when isolated.
// Errors: the loader's (Error::Corrupt, BadExec, NoEntry for an unknown import...), Error::Exists
// when an extension of that name is loaded, Error::NotSupported for an unknown ABI version;
// `problem` says what was wrong in words.
// `parameters`: "key=value key=value..." (nk_param), kept for every restart; null for none.
// Error::Invalid when they do not fit MAX_PARAMETERS. The record returned is valid until the
// extension is unloaded.
nk::Result<Extension*> load_extension(const nk::u8* file, nk::usize size, ExtensionMode mode,
                                      LoadProblem* problem, const char* parameters = nullptr);
// Reads the module from a file first.
nk::Result<Extension*> load_extension_file(const char* cwd, const char* path, ExtensionMode mode,
                                           LoadProblem* problem, const char* parameters = nullptr);
// Tears the extension down and builds it again from its pristine copy, then runs init()
// (recovery and `ext restart`).
nk::ErrorOr reload_extension(Extension& extension, LoadProblem* problem);
// nk_param: the value of `key` in the extension's load parameters, copied into `out`
// (NUL-terminated, truncated to `size`); its full length, or Error::NoEntry.
nk::Result<nk::usize> extension_parameter(const Extension& extension, const char* key, char* out,
                                          nk::usize size);

// Releases everything a stopped (failed, disabled) extension still holds: tracked objects, heap,
// stacks, image, domain. The record stays, for `ext stats`, `ext restart` and `ext unload`.
void release_extension_resources(Extension& extension);
// Visits every listed extension with the registry lock held: `visit` must not wait for anything
// (sleep, block, cross into an extension) nor call back into the registry.
void for_each_extension(void (*visit)(Extension& extension, void* context), void* context);
// Stops the extension's threads, breaks its mutexes, and waits (at most 2 s) until no thread is
// inside it any more; Error::Busy when some still are. The state must already keep new calls
// out (not Running).
nk::ErrorOr drain_extension(Extension& extension);
// Runs exit() and releases the image. Error::NoEntry for an unknown name, Error::Busy while a
// thread is inside it or another load, unload or restart is working on it. The record leaves the
// list at once and is freed once the last ExtensionReference to it is dropped (waited for here).
nk::ErrorOr unload_extension(const char* name);

// A loaded extension, found by name, kept allocated while the reference is held: for the `ext`
// calls that use a record at length (a report, a crash and the wait for its recovery, a
// restart) without holding the registry lock — under which nothing may wait. An unload waits for
// the reference to be dropped before it frees the record, so hold one no longer than needed.
// Empty (false) when no extension of that name is loaded.
class ExtensionReference {
public:
    ExtensionReference() = default;
    ExtensionReference(ExtensionReference&& other) : m_extension(other.m_extension) {
        other.m_extension = nullptr;
    }
    ExtensionReference(const ExtensionReference&) = delete;
    ExtensionReference& operator=(const ExtensionReference&) = delete;
    ExtensionReference& operator=(ExtensionReference&&) = delete;
    ~ExtensionReference() { reset(); }

    explicit operator bool() const { return m_extension != nullptr; }
    Extension& operator*() const { return *m_extension; }
    Extension* operator->() const { return m_extension; }
    Extension* get() const { return m_extension; }
    void reset() {
        if (m_extension)
            __atomic_sub_fetch(&m_extension->references, 1, __ATOMIC_SEQ_CST);
        m_extension = nullptr;
    }

private:
    friend ExtensionReference find_extension(const char* name);
    // Counted by find_extension, under the registry lock.
    explicit ExtensionReference(Extension* extension) : m_extension(extension) {}

    Extension* m_extension = nullptr;
};
ExtensionReference find_extension(const char* name);

// Claims a listed extension for a management operation (`ext restart`; load and unload claim
// their own): Error::Busy while another load, unload or restart is working on it. The claim
// keeps the record from being freed until it is released.
nk::ErrorOr claim_extension(Extension& extension);
void release_extension_claim(Extension& extension);
nk::usize format_extension_list(char* buffer, nk::usize size);
// `ext stats NAME`: crossings, wrapper calls, failed checks, objects held by kind, memory, the
// last fault and how long its recovery took.
nk::usize format_extension_stats(Extension& extension, char* buffer, nk::usize size);
// `ext trace NAME`: the last TRACE_ENTRIES crossings, oldest first, a line each.
nk::usize format_extension_trace(Extension& extension, char* buffer, nk::usize size);
// The same lines on the kernel log (the end of every fault report).
void print_extension_trace(Extension& extension);

} // namespace nooks
