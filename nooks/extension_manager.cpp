#include <arch/x86/interrupt_state.h>
#include <kernel/console/console.h>
#include <kernel/debug/demangle.h>
#include <kernel/debug/panic.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/process/executable_file.h>
#include <kernel/sched/scheduler.h>
#include <kernel/sync/mutex.h>
#include <kernel/time/clock.h>
#include <nooks/device_classes.h>
#include <nooks/extension_manager.h>
#include <nooks/extension_thread.h>
#include <nooks/fs_proxy.h>
#include <nooks/isolated_api.h>
#include <nooks/kernel_exports.h>
#include <nooks/recovery.h>
#include <nooks/service_class.h>
#include <nooks/xpc.h>

#include <stdio.h>
#include <string.h>

namespace nooks {

namespace {

nk::IntrusiveList<Extension, &Extension::node> g_extensions;
// The registry lock: the list and each record's `references` and `managed`. Held only for short
// work that waits for nothing (no sleep, no crossing into an extension, no wait for a recovery
// or for threads to leave one): the deferred worker (interrupt storms) and extension threads
// (nk_extension_list) take it too, and a holder waiting on either would deadlock. Loads,
// unloads and restarts hold a claim (Extension::managed) over their long parts instead.
kernel::Mutex g_registry;

// Registry lock held.
Extension* find_listed(const char* name) {
    for (auto& extension : g_extensions) {
        if (strcmp(extension.name, name) == 0)
            return &extension;
    }
    return nullptr;
}

// Where an image goes and what its imports bind to. Both modes put the image in the module
// region (the kernel reads and writes it through its own table); isolated mode also maps it into
// the extension's domain and binds imports to wrappers.
class Environment final : public ModuleEnvironment {
public:
    explicit Environment(ExtensionMode mode) : m_mode(mode) {}

    nk::Result<ModuleMemory> allocate_image(nk::usize size, nk::usize alignment) override {
        // Module-region allocations are page aligned; a section asking for more (2 MiB
        // alignment, say) is refused rather than silently misplaced.
        if (alignment > MODULE_PAGE_SIZE)
            return nk::Error::NotSupported;
        region =
            TRY(allocate_module_pages(nk::align_up(size, MODULE_PAGE_SIZE) / MODULE_PAGE_SIZE));
        return ModuleMemory{region.base, reinterpret_cast<nk::u8*>(region.base)};
    }
    void free_image(const ModuleMemory&, nk::usize) override {
        free_module_pages(region);
        region = {};
    }
    nk::Result<nk::u64> resolve_import(const char* name) override {
        return m_mode == ExtensionMode::Native ? find_kernel_export(name)
                                               : find_isolated_export(name);
    }

    RegionAllocation region = {};

private:
    ExtensionMode m_mode;
};

void set_problem(LoadProblem* problem, const char* format, const char* argument) {
    if (problem)
        snprintf(problem->message, sizeof problem->message, format, argument);
}

nk::u64 pages_of(const ModuleRange& range) {
    // Ranges start on page boundaries; their sizes are in bytes.
    return nk::align_up(range.size, MODULE_PAGE_SIZE) / MODULE_PAGE_SIZE;
}

// Final rights in the kernel's table: text RX, rodata and metadata R, data RW.
nk::ErrorOr apply_permissions(const LoadedModule& module) {
    if (module.text.size)
        TRY(protect_module_pages(module.text.address, pages_of(module.text),
                                 x86::PageFlags::Execute));
    if (module.rodata.size)
        TRY(protect_module_pages(module.rodata.address, pages_of(module.rodata),
                                 x86::PageFlags::None));
    if (module.metadata.size)
        TRY(protect_module_pages(module.metadata.address, pages_of(module.metadata),
                                 x86::PageFlags::None));
    return {};
}

// The extension's view of its own image: text RX, rodata R, data RW. The loader's metadata
// (symbol tables) stays out of the domain.
nk::ErrorOr map_image_into_domain(Extension& extension) {
    const LoadedModule& module = extension.module;
    ProtectionDomain& domain = *extension.domain;
    if (module.text.size)
        TRY(domain.map_shared_pages(module.text.address, pages_of(module.text),
                                    x86::PageFlags::Execute));
    if (module.rodata.size)
        TRY(domain.map_shared_pages(module.rodata.address, pages_of(module.rodata),
                                    x86::PageFlags::None));
    if (module.data.size)
        TRY(domain.map_shared_pages(module.data.address, pages_of(module.data),
                                    x86::PageFlags::Write));
    return {};
}

nk::ErrorOr create_domain_memory(Extension& extension) {
    extension.domain = TRY(ProtectionDomain::create());
    extension.heap_pages = new DomainHeapPages(*extension.domain);
    if (!extension.heap_pages)
        return nk::Error::NoMemory;
    extension.heap_pages->set_page_limit(extension.limits.limit[unsigned(Resource::HeapPages)]);
    extension.heap = new kernel::Heap(*extension.heap_pages);
    if (!extension.heap)
        return nk::Error::NoMemory;
    for (auto& stack : extension.stacks) {
        stack.region = TRY(allocate_module_pages(DOMAIN_STACK_PAGES));
        stack.top = stack.region.base + DOMAIN_STACK_PAGES * MODULE_PAGE_SIZE;
        stack.in_use = false;
        TRY(extension.domain->map_shared_pages(stack.region.base, DOMAIN_STACK_PAGES,
                                               x86::PageFlags::Write));
    }
    return {};
}

// Releases everything the extension holds except its record: tracked objects, heap, stacks,
// image, domain. Safe on a partly built extension.
void tear_down(Extension& extension) {
    extension.tracker.release_all();
    for (auto& spare : extension.spare_bounces)
        spare = {};
    if (extension.heap) {
        extension.heap->~Heap();
        kfree(extension.heap);
        extension.heap = nullptr;
    }
    if (extension.heap_pages) {
        delete extension.heap_pages;
        extension.heap_pages = nullptr;
    }
    for (auto& stack : extension.stacks) {
        if (stack.region.pages)
            free_module_pages(stack.region);
        stack = {};
    }
    if (extension.region.pages)
        free_module_pages(extension.region);
    extension.region = {};
    if (extension.domain) {
        extension.domain->~ProtectionDomain();
        kfree(extension.domain);
        extension.domain = nullptr;
    }
    // The image is gone: nothing may look up its symbols or metadata any more.
    extension.module = {};
    extension.info = nullptr;
    extension.irq_mask = nullptr;
}

} // namespace

const char* mode_name(ExtensionMode mode) {
    return mode == ExtensionMode::Native ? "native" : "isolated";
}

const char* state_name(ExtensionState state) {
    switch (state) {
    case ExtensionState::Running:
        return "running";
    case ExtensionState::Recovering:
        return "recovering";
    case ExtensionState::Failed:
        return "failed";
    case ExtensionState::Disabled:
        return "disabled";
    case ExtensionState::Stopping:
        return "stopping";
    case ExtensionState::Starting:
        return "starting";
    case ExtensionState::Exiting:
        return "exiting";
    }
    return "?";
}

const char* class_name(nk::u32 extension_class) {
    switch (extension_class) {
    case NOOKS_CLASS_TEST:
        return "test";
    case NOOKS_CLASS_NET:
        return "net";
    case NOOKS_CLASS_BLOCK:
        return "block";
    case NOOKS_CLASS_FS:
        return "fs";
    case NOOKS_CLASS_SERVICE:
        return "service";
    }
    return "?";
}

void count_function_call(FunctionCount* table, nk::u64 key, const char* name) {
    x86::InterruptGuard guard;
    for (unsigned i = 0; i < COUNTED_FUNCTIONS; ++i) {
        if (table[i].key == key || table[i].key == 0) {
            table[i].key = key;
            table[i].name = name;
            ++table[i].calls;
            return;
        }
    }
}

ExtensionReference find_extension(const char* name) {
    kernel::MutexLocker locker(g_registry);
    Extension* extension = find_listed(name);
    if (extension)
        __atomic_add_fetch(&extension->references, 1, __ATOMIC_SEQ_CST);
    return ExtensionReference(extension);
}

nk::ErrorOr claim_extension(Extension& extension) {
    kernel::MutexLocker locker(g_registry);
    if (extension.managed)
        return nk::Error::Busy;
    extension.managed = true;
    return {};
}

void release_extension_claim(Extension& extension) {
    kernel::MutexLocker locker(g_registry);
    extension.managed = false;
}

nk::Result<void*> extension_heap_allocate(Extension& extension, nk::usize size) {
    x86::InterruptGuard guard;
    return extension.heap->allocate(size);
}

nk::ErrorOr extension_heap_free(Extension& extension, void* block) {
    x86::InterruptGuard guard;
    return extension.heap->free(block);
}

namespace {
// Small bounce blocks are kept too: a transmit batch's frame list crosses in one, each time
// (allocating and freeing it cost as much as the crossing).
constexpr nk::usize SMALL_BOUNCE = 1024;
} // namespace

BounceBuffer::BounceBuffer(Extension& extension, nk::usize size) : m_extension(extension) {
    if (!extension.heap)
        return;
    {
        // The smallest spare block that fits.
        x86::InterruptGuard guard;
        Extension::SpareBounce* best = nullptr;
        for (auto& spare : extension.spare_bounces) {
            if (spare.block && spare.size >= size && (!best || spare.size < best->size))
                best = &spare;
        }
        if (best) {
            m_block = best->block;
            m_size = best->size;
            *best = {};
            return;
        }
    }
    // Rounded up (to 1 KiB for small ones, 8 KiB past a page) so that the next crossings of
    // about the same size can reuse it.
    if (size <= SMALL_BOUNCE)
        m_size = SMALL_BOUNCE;
    else
        m_size = size > 4096 ? nk::align_up(size, nk::usize(8192)) : size;
    m_block = extension_heap_allocate(extension, m_size).value_or(nullptr);
}

BounceBuffer::~BounceBuffer() {
    if (!m_block || m_abandoned)
        return;
    {
        x86::InterruptGuard guard;
        for (auto& spare : m_extension.spare_bounces) {
            if (!spare.block && (m_size > 4096 || m_size == SMALL_BOUNCE) && m_extension.heap) {
                spare = {m_block, m_size};
                return;
            }
        }
    }
    (void)extension_heap_free(m_extension, m_block);
}

int acquire_domain_stack(Extension& extension) {
    x86::InterruptGuard guard;
    for (unsigned i = 0; i < DOMAIN_STACKS; ++i) {
        if (!extension.stacks[i].in_use) {
            extension.stacks[i].in_use = true;
            return int(i);
        }
    }
    return -1;
}

void release_domain_stack(Extension& extension, int index) {
    x86::InterruptGuard guard;
    extension.stacks[index].in_use = false;
}

// Loads the image (into a new domain when isolated) and checks its metadata. Does not run init.
nk::ErrorOr build_extension(Extension& extension, const nk::u8* file, nk::usize size,
                            LoadProblem* problem) {
    if (extension.mode == ExtensionMode::Isolated) {
        if (auto created = create_domain_memory(extension); created.is_error()) {
            set_problem(problem, "%s", "cannot create the extension's protection domain");
            return created.error();
        }
    }
    Environment environment(extension.mode);
    extension.module = TRY(load_module(file, size, environment, problem));
    extension.region = environment.region;

    auto info_address = extension.module.find_symbol("nooks_module_info");
    if (info_address.is_error()) {
        set_problem(problem, "%s", "no nooks_module_info: not an extension module");
        return nk::Error::BadExec;
    }
    auto* info = reinterpret_cast<const nooks_module_info*>(info_address.value());
    if (info->abi_version != NOOKS_ABI_VERSION) {
        set_problem(problem, "%s", "extension built for another ABI version");
        return nk::Error::NotSupported;
    }
    auto text_end = extension.module.text.address + extension.module.text.size;
    auto code_ok = [&](auto function) {
        auto address = reinterpret_cast<nk::u64>(function);
        return address >= extension.module.text.address && address < text_end;
    };
    if (info->extension_class > NOOKS_CLASS_SERVICE || !code_ok(info->init) ||
        (info->exit && !code_ok(info->exit)) ||
        memchr(info->name, 0, sizeof info->name) == nullptr || info->name[0] == 0) {
        set_problem(problem, "%s", "malformed nooks_module_info (class, name or entry points)");
        return nk::Error::BadExec;
    }
    extension.info = info;
    auto mask = extension.module.find_symbol("nooks_irq_mask");
    extension.irq_mask =
        mask.has_value() && mask.value() >= extension.module.data.address &&
                mask.value() + 8 <= extension.module.data.address + extension.module.data.size
            ? reinterpret_cast<volatile nk::u32*>(mask.value())
            : nullptr;
    TRY(apply_permissions(extension.module));
    if (extension.mode == ExtensionMode::Isolated)
        TRY(map_image_into_domain(extension));
    return {};
}

// Runs init() within INIT_LIMIT_MS. On failure the state is Failed and the problem says why;
// the caller releases what the half-started extension holds.
nk::ErrorOr start_extension(Extension& extension, LoadProblem* problem) {
    ++extension.incarnation;
    extension.state = ExtensionState::Starting;
    nk::u64 faults = extension.faults;
    auto status =
        xpc_call_bounded(extension, as_domain_function(extension.info->init), INIT_LIMIT_MS);
    // A fault of init() or of a thread it started turned the state to Failed (recovery.cpp).
    if (extension.state != ExtensionState::Starting || extension.faults != faults ||
        status.is_error()) {
        extension.state = ExtensionState::Failed;
        if (extension.faults != faults)
            snprintf(problem->message, sizeof problem->message, "init() of '%s' failed: %s%s%s",
                     extension.name, extension.last_fault.cause,
                     extension.last_fault.where[0] ? " at " : "", extension.last_fault.where);
        else
            snprintf(problem->message, sizeof problem->message, "init() of '%s' did not return",
                     extension.name);
        return status.is_error() ? status.error() : nk::Error::Aborted;
    }
    if (status.value() < 0) {
        extension.state = ExtensionState::Failed;
        snprintf(problem->message, sizeof problem->message, "init() of '%s' returned %s",
                 extension.name, nk::error_string(nk::Error(int(-status.value()))));
        return nk::Error(int(-status.value()));
    }
    extension.state = ExtensionState::Running;
    return {};
}

// Empty slab pages the extension's records used go back to the frame allocator.
void trim_kernel_heap() {
    x86::InterruptGuard guard;
    kernel::memory::kernel_heap().trim();
}

void release_extension_resources(Extension& extension) {
    tear_down(extension);
    trim_kernel_heap();
}

void release_extension_record(Extension* extension) {
    tear_down(*extension);
    if (extension->pristine)
        kfree(extension->pristine);
    extension->~Extension();
    kfree(extension);
}

// Takes a claimed extension off the list and frees it once no reference is left. Those taken
// before it left (a report, `ext crash` waiting for a recovery) end soon: nothing enters the
// extension any more, and none can be taken now.
void retire_extension(Extension* extension) {
    {
        kernel::MutexLocker locker(g_registry);
        g_extensions.remove(*extension);
    }
    while (__atomic_load_n(&extension->references, __ATOMIC_SEQ_CST) != 0)
        kernel::sched::sleep_ms(1);
    release_extension_record(extension);
}

nk::Result<Extension*> load_extension(const nk::u8* file, nk::usize size, ExtensionMode mode,
                                      LoadProblem* problem, const char* parameters) {
    if (parameters && strlen(parameters) >= MAX_PARAMETERS) {
        set_problem(problem, "%s", "parameters too long");
        return nk::Error::Invalid;
    }
    auto* extension = static_cast<Extension*>(kmalloc(sizeof(Extension)));
    if (!extension)
        return nk::Error::NoMemory;
    new (extension) Extension{};
    extension->armed_fault = -1;
    extension->limits = default_resource_limits();
    if (parameters)
        strncpy(extension->parameters, parameters, sizeof extension->parameters - 1);
    extension->mode = mode;
    extension->state = ExtensionState::Failed;
    auto fail = [&](nk::Error error) -> nk::Result<Extension*> {
        release_extension_record(extension);
        return error;
    };

    if (auto built = build_extension(*extension, file, size, problem); built.is_error())
        return fail(built.error());
    extension->extension_class = extension->info->extension_class;
    // A pristine copy of the file for reloads after a crash.
    if (mode == ExtensionMode::Isolated) {
        extension->pristine = static_cast<nk::u8*>(kmalloc(size));
        if (!extension->pristine)
            return fail(nk::Error::NoMemory);
        memcpy(extension->pristine, file, size);
        extension->pristine_size = size;
    }

    // The name is checked and taken in one step: two loads of one module at once register it
    // once. Listed before init() runs (its threads and crossings find it), claimed until its
    // start is over: an unload or restart meanwhile is refused.
    bool taken;
    {
        kernel::MutexLocker locker(g_registry);
        taken = find_listed(extension->info->name) != nullptr;
        if (!taken) {
            strncpy(extension->name, extension->info->name, sizeof extension->name - 1);
            extension->managed = true;
            g_extensions.push_back(*extension);
        }
    }
    if (taken) {
        set_problem(problem, "an extension named '%s' is already loaded", extension->info->name);
        return fail(nk::Error::Exists);
    }
    LoadProblem own_problem = {};
    if (auto started = start_extension(*extension, problem ? problem : &own_problem);
        started.is_error()) {
        kprintf("nooks: loading '%s' failed: %s\n", extension->name,
                (problem ? problem : &own_problem)->message);
        // Its threads and anything still inside must be out before the memory goes.
        if (drain_extension(*extension).is_error()) {
            extension->state = ExtensionState::Disabled;
            kprintf("nooks: '%s': threads still inside after 2 s; left disabled, not freed\n",
                    extension->name);
            release_extension_claim(*extension);
            return started.error();
        }
        retire_extension(extension);
        return started.error();
    }
    kprintf("nooks: loaded extension '%s' (%s, %s) at 0x%llx, %llu KiB\n", extension->name,
            class_name(extension->extension_class), mode_name(mode),
            (unsigned long long)extension->module.base(),
            (unsigned long long)(extension->module.size / 1024));
    release_extension_claim(*extension);
    return extension;
}

nk::Result<Extension*> load_extension_file(const char* cwd, const char* path, ExtensionMode mode,
                                           LoadProblem* problem, const char* parameters) {
    auto file = kernel::read_executable(cwd, path);
    if (file.is_error()) {
        set_problem(problem, "cannot read %s", path);
        return file.error();
    }
    return load_extension(file.value().data(), file.value().size(), mode, problem, parameters);
}

nk::ErrorOr reload_extension(Extension& extension, LoadProblem* problem) {
    tear_down(extension);
    TRY(build_extension(extension, extension.pristine, extension.pristine_size, problem));
    return start_extension(extension, problem);
}

nk::ErrorOr drain_extension(Extension& extension) {
    stop_extension_threads(extension);
    for (unsigned waited = 0; extension.active_crossings != 0; ++waited) {
        if (waited == 2000)
            return nk::Error::Busy;
        kernel::sched::sleep_ms(1);
    }
    return {};
}

// The unload proper, once claimed; on an error the record is still listed (refused, or left
// stopped) and the caller releases the claim.
static nk::ErrorOr unload_claimed(Extension* extension, const char* name) {
    bool run_exit = false;
    for (;;) {
        // A recovery under way (queued, backing off, re-initialising) finishes first: it owns
        // the record until then. Its re-init is bounded, so this wait is too.
        for (nk::u64 waited = 0; extension->recovery_pending && waited < UNLOAD_RECOVERY_WAIT_MS;
             ++waited)
            kernel::sched::sleep_ms(1);
        if (extension->recovery_pending) {
            kprintf("nooks: '%s': its recovery is still running; unload refused\n", name);
            return nk::Error::Busy;
        }
        // A file system of it is still mounted: unmount first (a crash, not an unload, is what
        // leaves a volume behind without its driver).
        if (extension->tracker.count(ObjectKind::Volume))
            return nk::Error::Busy;
        // Crossings other than the extension's own threads (which are stopped below) are calls
        // in progress: wait for them to finish instead.
        if (extension->active_crossings > extension->tracker.count(ObjectKind::Thread)) {
            kprintf("nooks: '%s': %llu calls in progress; unload refused\n", name,
                    (unsigned long long)extension->active_crossings);
            return nk::Error::Busy;
        }
        // The state changes in the same interrupts-off section that finds no recovery under
        // way: a fault since the wait began one, which the unload would otherwise overwrite
        // (and free the record under). Then that one is waited for too.
        x86::InterruptGuard guard;
        if (!extension->recovery_pending) {
            run_exit = extension->state == ExtensionState::Running && extension->info->exit;
            extension->state = run_exit ? ExtensionState::Exiting : ExtensionState::Stopping;
            break;
        }
    }
    if (run_exit) {
        // A fault in exit() lets the unload go on (recovery.cpp); exit() is bounded like init().
        (void)xpc_call_bounded(*extension, as_domain_function(extension->info->exit),
                               INIT_LIMIT_MS);
    }
    // From here no call enters it, and a thread of it that calls the kernel is turned back.
    extension->state = ExtensionState::Stopping;
    if (auto drained = drain_extension(*extension); drained.is_error()) {
        kprintf("nooks: '%s': threads did not leave within 2 s; left stopped, not freed\n", name);
        return drained.error();
    }
    retire_extension(extension);
    trim_kernel_heap();
    kprintf("nooks: unloaded extension '%s'\n", name);
    return {};
}

nk::ErrorOr unload_extension(const char* requested_name) {
    // The claim keeps the record (only a load or unload frees one) and any other load, unload
    // or restart of it out until this one is over.
    Extension* extension;
    {
        kernel::MutexLocker locker(g_registry);
        extension = find_listed(requested_name);
        if (!extension)
            return nk::Error::NoEntry;
        if (extension->managed)
            return nk::Error::Busy;
        extension->managed = true;
    }
    // The caller's string may live in the record about to be freed.
    char name[sizeof extension->name];
    strncpy(name, extension->name, sizeof name);
    auto unloaded = unload_claimed(extension, name);
    if (unloaded.is_error())
        release_extension_claim(*extension); // still listed: refused, or left stopped
    return unloaded;
}

nk::Result<nk::usize> extension_parameter(const Extension& extension, const char* key, char* out,
                                          nk::usize size) {
    nk::usize key_length = strlen(key);
    const char* at = extension.parameters;
    while (*at) {
        while (*at == ' ')
            ++at;
        const char* end = at;
        while (*end && *end != ' ')
            ++end;
        if (nk::usize(end - at) > key_length && strncmp(at, key, key_length) == 0 &&
            at[key_length] == '=') {
            const char* value = at + key_length + 1;
            nk::usize length = nk::usize(end - value);
            if (size) {
                nk::usize copied = nk::min(length, size - 1);
                memcpy(out, value, copied);
                out[copied] = 0;
            }
            return length;
        }
        at = end;
    }
    return nk::Error::NoEntry;
}

void for_each_extension(void (*visit)(Extension&, void*), void* context) {
    kernel::MutexLocker locker(g_registry);
    for (auto& extension : g_extensions)
        visit(extension, context);
}

nk::usize format_extension_list(char* buffer, nk::usize size) {
    nk::usize used = 0;
    auto append = [&](int written) {
        if (written > 0)
            used = nk::min(used + nk::usize(written), size);
    };
    append(snprintf(buffer, size,
                    "NAME             CLASS    MODE      STATE       RESTARTS  FAULTS  "
                    "CROSSINGS  MEMORY\n"));
    kernel::MutexLocker locker(g_registry);
    for (auto& extension : g_extensions) {
        if (used >= size)
            break;
        nk::u64 pages =
            extension.region.pages +
            (extension.heap_pages ? extension.heap_pages->pages_held() : 0) +
            (extension.domain ? DOMAIN_STACKS * DOMAIN_STACK_PAGES + extension.domain->table_pages()
                              : 0);
        append(snprintf(buffer + used, size - used,
                        "%-16s %-8s %-9s %-10s %9llu %7llu %10llu  %llu KiB\n", extension.name,
                        class_name(extension.extension_class), mode_name(extension.mode),
                        state_name(extension.state), (unsigned long long)extension.restarts,
                        (unsigned long long)extension.faults,
                        (unsigned long long)extension.crossings, (unsigned long long)(pages * 4)));
    }
    return used;
}

// "(anonymous namespace)::crash(long, long)" -> "(anonymous namespace)::crash": cuts at the
// parenthesis that opens the final parameter list.
static void strip_parameter_list(char* name) {
    nk::usize length = strlen(name);
    if (length == 0 || name[length - 1] != ')')
        return;
    int depth = 0;
    for (nk::usize i = length; i-- > 0;) {
        depth += name[i] == ')' ? 1 : name[i] == '(' ? -1 : 0;
        if (depth == 0) {
            name[i] = 0;
            return;
        }
    }
}

// The entry point at `key` (its offset in the image plus one) by name, without the parameter
// list (the name is enough to tell entry points apart); "+0xOFFSET" when the image has no
// symbol there (or is gone).
static void entry_point_name(Extension& extension, nk::u64 key, char* buffer, nk::usize size) {
    auto symbol = extension.module.size ? extension.module.lookup(extension.module.base() + key - 1)
                                        : nk::Result<ModuleSymbolLookup>(nk::Error::NoEntry);
    if (symbol.has_value() && symbol.value().offset == 0) {
        (void)kernel::debug::demangle(symbol.value().name, buffer, size);
        strip_parameter_list(buffer);
    } else
        snprintf(buffer, size, "+0x%llx", (unsigned long long)(key - 1));
}

static void format_trace_line(Extension& extension, const TraceEntry& entry, char* line,
                              nk::usize size) {
    char function[96];
    if (entry.direction == TraceDirection::In && entry.offset)
        entry_point_name(extension, entry.offset, function, sizeof function);
    else
        snprintf(function, sizeof function, "%s", entry.name ? entry.name : "?");
    nk::u64 ns = kernel::clock::cycles_to_nanoseconds(entry.tsc - kernel::clock::boot_entry_tsc());
    char result[40];
    switch (entry.outcome) {
    case TraceOutcome::Pending:
        snprintf(result, sizeof result, "(no return)");
        break;
    case TraceOutcome::Aborted:
        snprintf(result, sizeof result, "aborted");
        break;
    case TraceOutcome::Refused:
        snprintf(result, sizeof result, "refused (failed check)");
        break;
    case TraceOutcome::Returned:
        snprintf(result, sizeof result, "0x%llx", (unsigned long long)entry.result);
        break;
    }
    snprintf(line, size, "  %6llu.%06llu %s %s(0x%llx, 0x%llx, 0x%llx) -> %s\n",
             (unsigned long long)(ns / 1000000000), (unsigned long long)(ns / 1000 % 1000000),
             entry.direction == TraceDirection::In ? "in " : "out", function,
             (unsigned long long)entry.arguments[0], (unsigned long long)entry.arguments[1],
             (unsigned long long)entry.arguments[2], result);
}

nk::usize format_extension_trace(Extension& extension, char* buffer, nk::usize size) {
    nk::usize used = 0;
    auto append = [&](int written) {
        if (written > 0)
            used = nk::min(used + nk::usize(written), size);
    };
    append(snprintf(buffer, size,
                    "last crossings of '%s', oldest first (in: kernel -> extension, out: "
                    "extension -> kernel):\n",
                    extension.name));
    trace_for_each(extension.trace, [&](const TraceEntry& entry) {
        if (used >= size)
            return;
        format_trace_line(extension, entry, buffer + used, size - used);
        used += strlen(buffer + used);
    });
    return used;
}

void print_extension_trace(Extension& extension) {
    kernel::console::log_detail("nooks: last crossings of '%s' (oldest first):\n", extension.name);
    trace_for_each(extension.trace, [&](const TraceEntry& entry) {
        char line[200];
        format_trace_line(extension, entry, line, sizeof line);
        kernel::console::log_detail("%s", line);
    });
}

nk::usize format_extension_stats(Extension& extension, char* buffer, nk::usize size) {
    nk::usize used = 0;
    auto append = [&](int written) {
        if (written > 0)
            used = nk::min(used + nk::usize(written), size);
    };
    append(snprintf(buffer, size, "extension %s (%s, %s): %s\n", extension.name,
                    class_name(extension.extension_class), mode_name(extension.mode),
                    state_name(extension.state)));
    append(snprintf(buffer + used, size - used,
                    "  crossings %llu, wrapper calls %llu, failed checks %llu, faults %llu, "
                    "restarts %llu\n",
                    (unsigned long long)extension.crossings,
                    (unsigned long long)extension.wrapper_calls,
                    (unsigned long long)extension.check_failures,
                    (unsigned long long)extension.faults, (unsigned long long)extension.restarts));
    append(snprintf(buffer + used, size - used, "  calls into the extension:"));
    for (const auto& entry : extension.entry_calls) {
        if (!entry.key)
            break;
        char readable[96];
        entry_point_name(extension, entry.key, readable, sizeof readable);
        append(snprintf(buffer + used, size - used, " %s %llu", readable,
                        (unsigned long long)entry.calls));
    }
    append(snprintf(buffer + used, size - used, "\n  calls into the kernel:"));
    for (const auto& entry : extension.import_calls) {
        if (!entry.key)
            break;
        append(snprintf(buffer + used, size - used, " %s %llu", entry.name,
                        (unsigned long long)entry.calls));
    }
    append(snprintf(buffer + used, size - used, "\n  objects held:"));
    for (unsigned kind = 0; kind < unsigned(ObjectKind::Count); ++kind)
        append(snprintf(buffer + used, size - used, " %s %llu", object_kind_name(ObjectKind(kind)),
                        (unsigned long long)extension.tracker.count(ObjectKind(kind))));
    if (extension.heap) {
        auto heap = extension.heap->stats();
        append(snprintf(
            buffer + used, size - used, ", heap blocks %llu (%llu bytes in %llu KiB of pages)",
            (unsigned long long)heap.live_allocations, (unsigned long long)heap.bytes_requested,
            (unsigned long long)(heap.bytes_reserved / 1024)));
    }
    if (extension.mode == ExtensionMode::Isolated) {
        append(snprintf(buffer + used, size - used, "\n  limits:"));
        nk::u64 refusals = 0;
        for (unsigned i = 0; i < unsigned(Resource::Count); ++i) {
            append(snprintf(buffer + used, size - used, "%s %s %llu/%llu", i ? "," : "",
                            resource_name(Resource(i)),
                            (unsigned long long)resource_in_use(extension, Resource(i)),
                            (unsigned long long)extension.limits.limit[i]));
            refusals += extension.refused[i];
        }
        if (refusals) {
            append(snprintf(buffer + used, size - used, "; refused:"));
            for (unsigned i = 0; i < unsigned(Resource::Count); ++i)
                if (extension.refused[i])
                    append(snprintf(buffer + used, size - used, " %s %llu",
                                    resource_name(Resource(i)),
                                    (unsigned long long)extension.refused[i]));
        }
    }
    append(snprintf(buffer + used, size - used, "\n  image %llu KiB at 0x%llx",
                    (unsigned long long)(extension.module.size / 1024),
                    (unsigned long long)extension.module.base()));
    if (extension.domain)
        append(snprintf(buffer + used, size - used, "; domain: %llu table pages, PCID %u",
                        (unsigned long long)extension.domain->table_pages(),
                        unsigned(extension.domain->pcid())));
    append(snprintf(buffer + used, size - used, "\n"));
    char status[192];
    if (service_status(extension, status, sizeof status))
        append(snprintf(buffer + used, size - used, "  service: %s\n", status));
    if (extension.has_fault) {
        const FaultRecord& fault = extension.last_fault;
        append(snprintf(buffer + used, size - used, "  last fault: %s%s%s", fault.cause,
                        fault.where[0] ? " at " : "", fault.where));
        if (fault.address)
            append(snprintf(buffer + used, size - used, ", address 0x%llx",
                            (unsigned long long)fault.address));
        append(snprintf(buffer + used, size - used, "; recovery took %llu us\n",
                        (unsigned long long)fault.recovery_us));
    }
    // What the class proxies keep across its restarts: devices and mounted volumes.
    if (used < size)
        used += format_block_recovery(extension, buffer + used, size - used);
    if (used < size)
        used += format_fs_recovery(extension, buffer + used, size - used);
    if (used < size)
        used += format_net_recovery(extension, buffer + used, size - used);
    return used;
}

} // namespace nooks
