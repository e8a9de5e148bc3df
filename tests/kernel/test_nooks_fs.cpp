// In-kernel tests of the file-system class: memfs (drivers/memfs), an isolated extension, mounted
// into the VFS and used through it like any file system — and what becomes of the mount when the
// extension is restarted under it.
#include <kernel/fs/file.h>
#include <kernel/fs/fs.h>
#include <kernel/fs/vfs.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/test/ktest.h>
#include <nooks/extension_manager.h>
#include <nooks/fs_proxy.h>
#include <nooks/recovery.h>

#include <string.h>

using namespace kernel;
using namespace nk::abi;

namespace {

constexpr const char* MOUNT_POINT = "/ktest-memfs";

nooks::Extension* load_memfs() {
    nooks::LoadProblem problem = {};
    auto loaded = nooks::load_extension_file("/", "/lib/modules/memfs.ko",
                                             nooks::ExtensionMode::Isolated, &problem);
    return loaded.is_error() ? nullptr : loaded.value();
}

template <typename T>
bool failed_with(const nk::Result<T>& result, nk::Error error) {
    return result.is_error() && result.error() == error;
}

// Writes `text` to a new file `name` under the mount point; true when all of it was written.
bool write_file(const char* name, const char* text) {
    auto opened = fs::vfs().open(MOUNT_POINT, name, O_WRONLY | O_CREAT | O_TRUNC);
    if (opened.is_error())
        return false;
    auto written = opened.value()->write(reinterpret_cast<const nk::u8*>(text), strlen(text));
    opened.value()->unref();
    return written.has_value() && written.value() == strlen(text);
}

// The file's content (at most 255 bytes) as a string; "" when it cannot be read.
void read_file(const char* name, char (&out)[256]) {
    out[0] = 0;
    auto opened = fs::vfs().open(MOUNT_POINT, name, O_RDONLY);
    if (opened.is_error())
        return;
    auto read = opened.value()->read(reinterpret_cast<nk::u8*>(out), sizeof out - 1);
    opened.value()->unref();
    out[read.has_value() ? read.value() : 0] = 0;
}

} // namespace

KTEST(nooks_memfs_mounted_and_used_through_the_vfs) {
    auto& tree = fs::vfs();
    KREQUIRE(tree.mkdir("/", MOUNT_POINT).has_value());
    // A warm-up round first (slab size classes used for the first time keep their page).
    for (unsigned round = 0; round < 2; ++round) {
        auto frames_before = memory::frames().stats().free_frames;
        auto heap_before = memory::kernel_heap().stats().live_allocations;
        nooks::Extension* memfs = load_memfs();
        KREQUIRE(memfs != nullptr);
        KEXPECT(failed_with(nooks::mount_file_system("nosuchfs", "none", "/", MOUNT_POINT),
                            nk::Error::NoDevice));
        KREQUIRE(nooks::mount_file_system("memfs", "none", "/", MOUNT_POINT).has_value());
        KEXPECT(memfs->tracker.count(nooks::ObjectKind::Volume) == 1);
        // memfs serves one volume at a time: its refusal comes back as the mount's error.
        KEXPECT(tree.mkdir("/", "/ktest-memfs2").has_value());
        KEXPECT(failed_with(nooks::mount_file_system("memfs", "none", "/", "/ktest-memfs2"),
                            nk::Error::Busy));
        KEXPECT(tree.rmdir("/", "/ktest-memfs2").has_value());

        // Files, directories, renames, through the VFS's ordinary paths.
        KEXPECT(write_file("hello", "hello from an isolated file system\n"));
        char text[256];
        read_file("hello", text);
        KEXPECT(strcmp(text, "hello from an isolated file system\n") == 0);
        auto info = tree.stat(MOUNT_POINT, "hello");
        KEXPECT(info.has_value() && info.value().size == 35 &&
                info.value().type == FileType::Regular);
        KEXPECT(tree.mkdir(MOUNT_POINT, "sub").has_value());
        KEXPECT(failed_with(tree.mkdir(MOUNT_POINT, "sub"), nk::Error::Exists));
        KEXPECT(tree.rename(MOUNT_POINT, "hello", "sub/moved").has_value());
        KEXPECT(failed_with(tree.stat(MOUNT_POINT, "hello"), nk::Error::NoEntry));
        read_file("sub/moved", text);
        KEXPECT(strncmp(text, "hello from", 10) == 0);
        KEXPECT(failed_with(tree.rmdir(MOUNT_POINT, "sub"), nk::Error::NotEmpty));
        KEXPECT(tree.truncate(MOUNT_POINT, "sub/moved", 5).has_value());
        read_file("sub/moved", text);
        KEXPECT(strcmp(text, "hello") == 0);
        // A 100 KiB file crosses in two pieces each way.
        {
            auto opened = tree.open(MOUNT_POINT, "big", O_RDWR | O_CREAT);
            KREQUIRE(opened.has_value());
            fs::File* file = opened.value();
            static nk::u8 pattern[100 * 1024];
            static nk::u8 back[100 * 1024];
            for (nk::usize i = 0; i < sizeof pattern; ++i)
                pattern[i] = nk::u8(i * 13 + i / 256);
            auto written = file->write(pattern, sizeof pattern);
            KEXPECT(written.has_value() && written.value() == sizeof pattern);
            KEXPECT(file->seek(0, SEEK_SET).has_value());
            auto read = file->read(back, sizeof back);
            KEXPECT(read.has_value() && read.value() == sizeof back);
            KEXPECT(memcmp(pattern, back, sizeof back) == 0);
            file->unref();
        }
        {
            auto directory = tree.open(MOUNT_POINT, ".", O_RDONLY | O_DIRECTORY);
            KREQUIRE(directory.has_value());
            DirEntry entries[8];
            auto count = directory.value()->read_directory(entries, 8);
            KEXPECT(count.has_value() && count.value() == 2);
            KEXPECT(strcmp(entries[0].name, "sub") == 0 && entries[0].type == FileType::Directory);
            KEXPECT(strcmp(entries[1].name, "big") == 0 && entries[1].size == 100 * 1024);
            directory.value()->unref();
        }
        KEXPECT(tree.unlink(MOUNT_POINT, "big").has_value());
        KEXPECT(tree.unlink(MOUNT_POINT, "sub/moved").has_value());
        KEXPECT(tree.rmdir(MOUNT_POINT, "sub").has_value());

        // Busy while mounted: no unload from under a mount, no unmount under an open file.
        KEXPECT(failed_with(nooks::unload_extension("memfs"), nk::Error::Busy));
        KEXPECT(write_file("kept", "x"));
        auto held = tree.open(MOUNT_POINT, "kept", O_RDONLY);
        KREQUIRE(held.has_value());
        KEXPECT(failed_with(nooks::unmount_file_system("/", MOUNT_POINT), nk::Error::Busy));
        held.value()->unref();
        // The kernel's own file systems are not the extension's to unmount.
        KEXPECT(failed_with(nooks::unmount_file_system("/", "/dev"), nk::Error::NotPermitted));
        KEXPECT(nooks::unmount_file_system("/", MOUNT_POINT).has_value());
        KEXPECT(memfs->tracker.count(nooks::ObjectKind::Volume) == 0);
        KEXPECT(nooks::unload_extension("memfs").has_value());
        KEXPECT(nooks::mounted_volume_count() == 0);
        if (round == 1) {
            KEXPECT(memory::frames().stats().free_frames == frames_before);
            KEXPECT(memory::kernel_heap().stats().live_allocations == heap_before);
        }
    }
    KEXPECT(tree.rmdir("/", MOUNT_POINT).has_value());
}

KTEST(nooks_memfs_restart_under_a_mount) {
    auto& tree = fs::vfs();
    KREQUIRE(tree.mkdir("/", MOUNT_POINT).has_value());
    nooks::Extension* memfs = load_memfs();
    KREQUIRE(memfs != nullptr);
    KREQUIRE(nooks::mount_file_system("memfs", "none", "/", MOUNT_POINT).has_value());
    KEXPECT(write_file("before", "data"));
    // The extension goes away under the mount (restart: the same teardown as a recovery). The
    // volume stays mounted and the proxy mounts it again on the new incarnation: a RAM file
    // system comes back empty (its content lived in the old one's memory), but the mount, the
    // path and new files work without anyone unmounting anything.
    KEXPECT(nooks::restart_extension(*memfs).has_value());
    KEXPECT(memfs->state == nooks::ExtensionState::Running);
    KEXPECT(memfs->tracker.count(nooks::ObjectKind::Volume) == 1);
    KEXPECT(nooks::mounted_volume_count() == 1);
    KEXPECT(failed_with(tree.stat(MOUNT_POINT, "before"), nk::Error::NoEntry));
    KEXPECT(write_file("after", "data"));
    KEXPECT(tree.stat(MOUNT_POINT, "after").has_value());
    KEXPECT(nooks::unmount_file_system("/", MOUNT_POINT).has_value());
    KEXPECT(memfs->tracker.count(nooks::ObjectKind::Volume) == 0);
    KEXPECT(nooks::unload_extension("memfs").has_value());
    KEXPECT(tree.rmdir("/", MOUNT_POINT).has_value());
}
