#include <kernel/boot/extension_modules.h>
#include <kernel/fs/file.h>
#include <kernel/fs/fs.h>
#include <kernel/memory/layout.h>

#include <stdio.h>
#include <string.h>

namespace kernel {

namespace {

constexpr const char* MODULE_DIRECTORY = "/lib/modules";

nk::ErrorOr write_file(const char* path, const nk::u8* data, nk::usize size) {
    fs::File* file =
        TRY(fs::vfs().open("/", path, nk::abi::O_WRONLY | nk::abi::O_CREAT | nk::abi::O_TRUNC));
    nk::usize done = 0;
    while (done < size) {
        auto written = file->write(data + done, size - done);
        if (written.is_error() || written.value() == 0) {
            file->unref();
            return written.is_error() ? written.error() : nk::Error::NoSpace;
        }
        done += written.value();
    }
    file->unref();
    return {};
}

} // namespace

unsigned publish_extension_modules(const BootInfo& info) {
    unsigned published = 0;
    for (nk::usize i = 0; i < info.module_count; ++i) {
        const BootModule& module = info.modules[i];
        // "ext NAME": NAME must be a plain file name.
        if (strncmp(module.command_line, "ext ", 4) != 0)
            continue;
        const char* name = module.command_line + 4;
        if (!*name || strchr(name, '/') || strlen(name) > 48) {
            kprintf("boot: extension module with a bad name \"%s\" skipped\n", name);
            continue;
        }
        (void)fs::vfs().mkdir("/", "/lib");
        (void)fs::vfs().mkdir("/", MODULE_DIRECTORY);
        char path[96];
        snprintf(path, sizeof path, "%s/%s.ko", MODULE_DIRECTORY, name);
        auto written =
            write_file(path, phys_to_virt<nk::u8>(module.start), module.end - module.start);
        if (written.is_error()) {
            kprintf("boot: cannot publish %s: %s\n", path, nk::error_string(written.error()));
            continue;
        }
        ++published;
    }
    if (published)
        kprintf("boot: %u extension module%s in %s\n", published, published == 1 ? "" : "s",
                MODULE_DIRECTORY);
    return published;
}

} // namespace kernel
