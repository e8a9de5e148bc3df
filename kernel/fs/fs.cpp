#include <kernel/debug/panic.h>
#include <kernel/fs/fs.h>
#include <kernel/fs/ramfs.h>
#include <kernel/fs/timestamp.h>
#include <kernel/time/clock.h>

namespace kernel::fs {

namespace {

// Constructed by init() rather than by a global constructor, so nothing touches it before the
// scheduler that its mutex relies on exists.
alignas(Vfs) unsigned char g_vfs_storage[sizeof(Vfs)];
Vfs* g_vfs = nullptr;
RamFs* g_root = nullptr;
DevFs* g_devfs = nullptr;

} // namespace

void init() {
    if (g_vfs)
        panic("fs::init called twice");
    set_time_source(clock::nanoseconds_since_boot);
    g_vfs = new (g_vfs_storage) Vfs;

    auto root = RamFs::create();
    if (root.is_error())
        panic("fs: cannot create the root ramfs: %s", nk::error_string(root.error()));
    g_root = root.value();
    if (auto result = g_vfs->mount("/", *g_root); result.is_error())
        panic("fs: cannot mount /: %s", nk::error_string(result.error()));

    if (auto result = g_vfs->mkdir("/", "/dev"); result.is_error())
        panic("fs: cannot create /dev: %s", nk::error_string(result.error()));
    auto devfs = DevFs::create();
    if (devfs.is_error())
        panic("fs: cannot create devfs: %s", nk::error_string(devfs.error()));
    g_devfs = devfs.value();
    if (auto result = register_standard_devices(*g_devfs); result.is_error())
        panic("fs: cannot register /dev/null and /dev/zero: %s", nk::error_string(result.error()));
    if (auto result = g_vfs->mount("/dev", *g_devfs); result.is_error())
        panic("fs: cannot mount /dev: %s", nk::error_string(result.error()));
}

bool is_initialized() {
    return g_vfs != nullptr;
}

Vfs& vfs() {
    if (!g_vfs)
        panic("fs: used before fs::init");
    return *g_vfs;
}

nk::Result<TarSummary> extract_initrd(const nk::u8* data, nk::usize size) {
    Vfs& tree = vfs();
    MutexLocker locker(tree.mutex());
    return extract_tar(data, size, *tree.root_locked());
}

nk::ErrorOr register_char_device(const char* name, const CharDeviceOps& ops, void* context) {
    MutexLocker locker(vfs().mutex());
    return g_devfs->register_device(name, ops, context);
}

} // namespace kernel::fs
