// In-kernel tests of the live VFS (ramfs at /, devfs at /dev): the operations the system calls
// use, and that they give back every byte of heap they took.
#include <kernel/fs/file.h>
#include <kernel/fs/file_table.h>
#include <kernel/fs/fs.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/test/ktest.h>

#include <string.h>

using namespace kernel;
using namespace kernel::fs;
using namespace nk::abi;

namespace {

nk::u64 live_allocations() {
    return memory::kernel_heap().stats().live_allocations;
}

const nk::u8* bytes(const char* text) {
    return reinterpret_cast<const nk::u8*>(text);
}

template <typename T>
bool failed_with(const nk::Result<T>& result, nk::Error error) {
    return result.is_error() && result.error() == error;
}

} // namespace

KTEST(vfs_create_write_read_readdir_unlink) {
    KREQUIRE(fs::is_initialized());
    nk::u64 baseline = live_allocations();
    Vfs& tree = fs::vfs();
    KREQUIRE(tree.mkdir("/", "/ktest-vfs").has_value());
    {
        auto created = tree.open("/ktest-vfs", "greeting", O_WRONLY | O_CREAT | O_EXCL);
        KREQUIRE(created.has_value());
        File* file = created.value();
        auto written = file->write(bytes("hello, kernel"), 13);
        KEXPECT(written.has_value() && written.value() == 13);
        file->unref();
    }
    {
        auto opened = tree.open("/", "/ktest-vfs/./greeting", O_RDONLY);
        KREQUIRE(opened.has_value());
        File* file = opened.value();
        char buffer[32] = {};
        auto count = file->read(reinterpret_cast<nk::u8*>(buffer), sizeof(buffer));
        KEXPECT(count.has_value() && count.value() == 13);
        KEXPECT(strcmp(buffer, "hello, kernel") == 0);
        KEXPECT(file->stat().value().size == 13);
        file->unref();
    }
    {
        auto opened = tree.open("/", "/ktest-vfs", O_RDONLY | O_DIRECTORY);
        KREQUIRE(opened.has_value());
        File* directory = opened.value();
        DirEntry entries[4];
        auto count = directory->read_directory(entries, 4);
        KEXPECT(count.has_value() && count.value() == 1);
        KEXPECT(strcmp(entries[0].name, "greeting") == 0);
        KEXPECT(entries[0].type == FileType::Regular && entries[0].size == 13);
        directory->unref();
    }
    KEXPECT(failed_with(tree.rmdir("/", "/ktest-vfs"), nk::Error::NotEmpty));
    KEXPECT(tree.unlink("/", "/ktest-vfs/greeting").has_value());
    KEXPECT(failed_with(tree.stat("/", "/ktest-vfs/greeting"), nk::Error::NoEntry));
    KEXPECT(tree.rmdir("/", "/ktest-vfs").has_value());
    KEXPECT(live_allocations() == baseline);
}

KTEST(vfs_unlinked_file_readable_until_closed) {
    KREQUIRE(fs::is_initialized());
    nk::u64 baseline = live_allocations();
    Vfs& tree = fs::vfs();
    auto created = tree.open("/", "/ktest-vfs-temp", O_RDWR | O_CREAT | O_TRUNC);
    KREQUIRE(created.has_value());
    File* file = created.value();
    KEXPECT(file->write(bytes("transient"), 9).value() == 9);
    KEXPECT(tree.unlink("/", "/ktest-vfs-temp").has_value());
    KEXPECT(file->seek(0, SEEK_SET).value() == 0);
    char buffer[16] = {};
    KEXPECT(file->read(reinterpret_cast<nk::u8*>(buffer), sizeof(buffer)).value() == 9);
    KEXPECT(memcmp(buffer, "transient", 9) == 0);
    file->unref();
    KEXPECT(live_allocations() == baseline);
}

KTEST(vfs_dev_null_and_zero) {
    KREQUIRE(fs::is_initialized());
    Vfs& tree = fs::vfs();
    auto zero = tree.open("/", "/dev/zero", O_RDONLY);
    KREQUIRE(zero.has_value());
    nk::u8 buffer[8];
    memset(buffer, 0xaa, sizeof(buffer));
    KEXPECT(zero.value()->read(buffer, sizeof(buffer)).value() == sizeof(buffer));
    KEXPECT(buffer[0] == 0 && buffer[7] == 0);
    zero.value()->unref();
    auto null = tree.open("/", "/dev/null", O_RDWR);
    KREQUIRE(null.has_value());
    KEXPECT(null.value()->write(bytes("discard"), 7).value() == 7);
    KEXPECT(null.value()->read(buffer, sizeof(buffer)).value() == 0);
    null.value()->unref();
    KEXPECT(tree.stat("/", "/dev/null").value().type == FileType::CharDevice);
}

KTEST(vfs_file_tables_spawn_and_exit_return_heap_to_baseline) {
    KREQUIRE(fs::is_initialized());
    nk::u64 baseline = live_allocations();
    Vfs& tree = fs::vfs();
    for (int round = 0; round < 50; ++round) {
        FileTable parent;
        auto file = tree.open("/", "/dev/null", O_RDWR);
        KREQUIRE(file.has_value());
        KREQUIRE(parent.install(file.value()).value() == 0);
        KREQUIRE(parent.dup2(0, 2).value() == 2);
        FileTable child;
        const int map[] = {0, -1, 2};
        KREQUIRE(child.inherit(parent, nk::Span<const int>(map)).has_value());
        KEXPECT(child.open_count() == 2);
        KEXPECT(child.get(2).value()->write(bytes("x"), 1).value() == 1);
    }
    KEXPECT(live_allocations() == baseline);
}
