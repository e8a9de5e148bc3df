#include <kernel/block/block_device.h>
#include <kernel/boot/command_line.h>
#include <kernel/fs/fs.h>
#include <kernel/fs/vfs.h>
#include <nooks/extension_manager.h>
#include <nooks/fs_proxy.h>
#include <nooks/storage_boot.h>

#include <stdio.h>
#include <string.h>

namespace nooks {

namespace {

constexpr const char* MOUNT_POINT = "/disk";

bool load(const char* path, ExtensionMode mode) {
    LoadProblem problem = {};
    auto loaded = load_extension_file("/", path, mode, &problem);
    if (loaded.is_error()) {
        kprintf("storage: cannot load %s: %s%s%s\n", path, nk::error_string(loaded.error()),
                problem.message[0] ? ": " : "", problem.message);
        return false;
    }
    return true;
}

struct Disks {
    char names[8][16];
    unsigned count;
};

} // namespace

void start_storage() {
    const char* wanted = kernel::command_line::value("storage");
    ExtensionMode mode = ExtensionMode::Isolated;
    if (wanted && strcmp(wanted, "native") == 0)
        mode = ExtensionMode::Native;
    if (!load("/lib/modules/ata.ko", mode) || !load("/lib/modules/vfat.ko", mode))
        return;
    Disks disks = {};
    kernel::block::for_each_device(
        [](kernel::block::BlockDevice& device, void* context) {
            auto& found = *static_cast<Disks*>(context);
            if (found.count < 8)
                strncpy(found.names[found.count++], device.name(), 15);
        },
        &disks);
    if (disks.count == 0) {
        kprintf("storage: no disks\n");
        return;
    }
    if (auto made = kernel::fs::vfs().mkdir("/", MOUNT_POINT);
        made.is_error() && made.error() != nk::Error::Exists) {
        kprintf("storage: cannot make %s: %s\n", MOUNT_POINT, nk::error_string(made.error()));
        return;
    }
    for (unsigned i = 0; i < disks.count; ++i) {
        auto mounted = mount_file_system("vfat", disks.names[i], "/", MOUNT_POINT);
        if (mounted.has_value()) {
            kprintf("storage: %s mounted at %s (vfat, %s)\n", disks.names[i], MOUNT_POINT,
                    mode_name(mode));
            return;
        }
        kprintf("storage: %s: no FAT volume (%s)\n", disks.names[i],
                nk::error_string(mounted.error()));
    }
}

} // namespace nooks
