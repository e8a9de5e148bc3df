// File-system types registered by extensions (nk_fs_register): a name and an ops table, looked
// up by name when a volume is mounted. Unregistered when the extension goes.
#include <arch/x86/interrupt_state.h>
#include <kernel/memory/kmalloc.h>
#include <nooks/device_classes.h>
#include <nooks/extension_manager.h>

#include <string.h>

namespace nooks {

namespace {

nk::IntrusiveList<RegisteredFileSystem, &RegisteredFileSystem::node> g_file_systems;

RegisteredFileSystem* find_locked(const char* name) {
    for (auto& fs : g_file_systems) {
        if (strcmp(fs.name, name) == 0)
            return &fs;
    }
    return nullptr;
}

void release_file_system(TrackedObject& tracked) {
    reinterpret_cast<RegisteredFileSystem*>(&tracked)->registration.retire();
}

void destroy_file_system(ClassRegistration& registration) {
    auto* fs = reinterpret_cast<RegisteredFileSystem*>(&registration);
    {
        x86::InterruptGuard guard;
        g_file_systems.remove(*fs);
    }
    fs->~RegisteredFileSystem();
    kfree(fs);
}

} // namespace

nk_status register_file_system(Extension* extension, const char* name, const nooks_fs_ops& ops,
                               nk_fs_handle* out) {
    nk::usize length = strnlen(name, sizeof RegisteredFileSystem::name);
    if (length == 0 || length >= sizeof RegisteredFileSystem::name || !ops.mount || !ops.request ||
        !op_ok(extension, reinterpret_cast<const void*>(ops.mount)) ||
        !op_ok(extension, reinterpret_cast<const void*>(ops.request)) ||
        (ops.unmount && !op_ok(extension, reinterpret_cast<const void*>(ops.unmount))))
        return -NK_EINVAL;
    auto* fs = static_cast<RegisteredFileSystem*>(kmalloc(sizeof(RegisteredFileSystem)));
    if (!fs)
        return -NK_ENOMEM;
    new (fs) RegisteredFileSystem{};
    fs->registration.init(ObjectKind::FileSystem, release_file_system, destroy_file_system,
                          extension);
    fs->ops = ops;
    memcpy(fs->name, name, length);
    {
        x86::InterruptGuard guard;
        if (find_locked(fs->name)) {
            fs->~RegisteredFileSystem();
            kfree(fs);
            return -NK_EEXIST;
        }
        g_file_systems.push_back(*fs);
    }
    if (extension)
        extension->tracker.add(fs->registration.tracked);
    *out = reinterpret_cast<nk_fs_handle>(&fs->registration.tracked);
    return 0;
}

void unregister_file_system(nk_fs_handle handle) {
    auto& registration = reinterpret_cast<RegisteredFileSystem*>(handle)->registration;
    if (registration.extension)
        registration.extension->tracker.remove(registration.tracked);
    registration.retire();
}

RegisteredFileSystem* find_file_system(const char* name) {
    x86::InterruptGuard guard;
    return find_locked(name);
}

nk::usize file_system_count() {
    x86::InterruptGuard guard;
    return g_file_systems.size();
}

} // namespace nooks
