#include <arch/x86/interrupt_state.h>
#include <kernel/debug/panic.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/process/executable_file.h>
#include <nooks/extension_manager.h>
#include <nooks/kernel_exports.h>

#include <stdio.h>
#include <string.h>

namespace nooks {

namespace {

nk::IntrusiveList<Extension, &Extension::node> g_extensions;

// Native mode: the image lives in the module region, mapped in the kernel's own page table, and
// imports bind straight to the kernel's functions.
class NativeEnvironment final : public ModuleEnvironment {
public:
    nk::Result<ModuleMemory> allocate_image(nk::usize size, nk::usize alignment) override {
        // Module-region allocations are page aligned; a section asking for more (2 MiB
        // alignment, say) is refused rather than silently misplaced.
        if (alignment > MODULE_PAGE_SIZE)
            return nk::Error::NotSupported;
        auto allocation =
            TRY(allocate_module_pages(nk::align_up(size, MODULE_PAGE_SIZE) / MODULE_PAGE_SIZE));
        region = allocation;
        return ModuleMemory{allocation.base, reinterpret_cast<nk::u8*>(allocation.base)};
    }
    void free_image(const ModuleMemory&, nk::usize) override {
        free_module_pages(region);
        region = {};
    }
    nk::Result<nk::u64> resolve_import(const char* name) override {
        return find_kernel_export(name);
    }

    RegionAllocation region = {};
};

void set_problem(LoadProblem* problem, const char* format, const char* argument) {
    if (problem)
        snprintf(problem->message, sizeof problem->message, format, argument);
}

nk::ErrorOr apply_permissions(const LoadedModule& module) {
    // Ranges start on page boundaries; their sizes are in bytes.
    auto pages = [](const ModuleRange& range) {
        return nk::align_up(range.size, MODULE_PAGE_SIZE) / MODULE_PAGE_SIZE;
    };
    if (module.text.size)
        TRY(protect_module_pages(module.text.address, pages(module.text), x86::PageFlags::Execute));
    if (module.rodata.size)
        TRY(protect_module_pages(module.rodata.address, pages(module.rodata),
                                 x86::PageFlags::None));
    if (module.metadata.size)
        TRY(protect_module_pages(module.metadata.address, pages(module.metadata),
                                 x86::PageFlags::None));
    return {};
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

Extension* find_extension(const char* name) {
    for (auto& extension : g_extensions) {
        if (strcmp(extension.name, name) == 0)
            return &extension;
    }
    return nullptr;
}

nk::Result<Extension*> load_extension(const nk::u8* file, nk::usize size, ExtensionMode mode,
                                      LoadProblem* problem) {
    if (mode == ExtensionMode::Isolated) {
        set_problem(problem, "%s", "isolated loading is not implemented yet (load --native)");
        return nk::Error::NotSupported;
    }
    NativeEnvironment environment;
    LoadedModule module = TRY(load_module(file, size, environment, problem));
    auto release = [&](nk::Error error) -> nk::Result<Extension*> {
        free_module_pages(environment.region);
        return error;
    };

    auto info_address = module.find_symbol("nooks_module_info");
    if (info_address.is_error()) {
        set_problem(problem, "%s", "no nooks_module_info: not an extension module");
        return release(nk::Error::BadExec);
    }
    auto* info = reinterpret_cast<const nooks_module_info*>(info_address.value());
    if (info->abi_version != NOOKS_ABI_VERSION) {
        set_problem(problem, "%s", "extension built for another ABI version");
        return release(nk::Error::NotSupported);
    }
    if (info->extension_class > NOOKS_CLASS_SERVICE || !info->init ||
        memchr(info->name, 0, sizeof info->name) == nullptr || info->name[0] == 0) {
        set_problem(problem, "%s", "malformed nooks_module_info (class, name or init)");
        return release(nk::Error::BadExec);
    }
    if (find_extension(info->name)) {
        set_problem(problem, "an extension named '%s' is already loaded", info->name);
        return release(nk::Error::Exists);
    }
    if (auto protected_ = apply_permissions(module); protected_.is_error())
        return release(protected_.error());

    auto* extension = static_cast<Extension*>(kmalloc(sizeof(Extension)));
    if (!extension)
        return release(nk::Error::NoMemory);
    new (extension) Extension{};
    strncpy(extension->name, info->name, sizeof extension->name - 1);
    extension->extension_class = info->extension_class;
    extension->mode = mode;
    extension->state = ExtensionState::Running;
    extension->module = module;
    extension->region = environment.region;
    extension->info = info;

    nk_status status = info->init();
    ++extension->crossings;
    if (status < 0) {
        set_problem(problem, "init() of '%s' failed", info->name);
        kfree(extension);
        return release(nk::Error(int(-status)));
    }
    g_extensions.push_back(*extension);
    kprintf("nooks: loaded extension '%s' (%s, %s) at 0x%llx, %llu KiB\n", extension->name,
            class_name(extension->extension_class), mode_name(mode),
            (unsigned long long)module.base(), (unsigned long long)(module.size / 1024));
    return extension;
}

nk::Result<Extension*> load_extension_file(const char* cwd, const char* path, ExtensionMode mode,
                                           LoadProblem* problem) {
    auto file = kernel::read_executable(cwd, path);
    if (file.is_error()) {
        set_problem(problem, "cannot read %s", path);
        return file.error();
    }
    return load_extension(file.value().data(), file.value().size(), mode, problem);
}

nk::ErrorOr unload_extension(const char* name) {
    Extension* extension = find_extension(name);
    if (!extension)
        return nk::Error::NoEntry;
    if (extension->info->exit)
        extension->info->exit();
    g_extensions.remove(*extension);
    free_module_pages(extension->region);
    kprintf("nooks: unloaded extension '%s'\n", name);
    kfree(extension);
    return {};
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
    for (auto& extension : g_extensions) {
        if (used >= size)
            break;
        append(snprintf(
            buffer + used, size - used, "%-16s %-8s %-9s %-10s %9llu %7llu %10llu  %llu KiB\n",
            extension.name, class_name(extension.extension_class), mode_name(extension.mode),
            state_name(extension.state), (unsigned long long)extension.restarts,
            (unsigned long long)extension.faults, (unsigned long long)extension.crossings,
            (unsigned long long)(extension.region.pages * 4)));
    }
    return used;
}

} // namespace nooks
