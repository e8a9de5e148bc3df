// The VFS (kernel/fs/vfs.cpp, file.cpp, file_table.cpp) over ramfs and devfs.
#include <nk/syscall_abi.h>

// The host's <stdio.h> (pulled in by Catch) defines SEEK_* as macros, hiding the ABI's names;
// take their values first.
namespace {
constexpr int WHENCE_SET = nk::abi::SEEK_SET;
constexpr int WHENCE_CUR = nk::abi::SEEK_CUR;
constexpr int WHENCE_END = nk::abi::SEEK_END;
} // namespace

#include "fs_helpers.h"

#include <kernel/fs/devfs.h>
#include <kernel/fs/file_table.h>
#include <kernel/fs/timestamp.h>

#include <cstring>
#include <set>
#include <vector>

using namespace fs_test;
using nk::Error;
using nk::abi::FileType;
using nk::abi::O_APPEND;
using nk::abi::O_CREAT;
using nk::abi::O_DIRECTORY;
using nk::abi::O_EXCL;
using nk::abi::O_RDONLY;
using nk::abi::O_RDWR;
using nk::abi::O_TRUNC;
using nk::abi::O_WRONLY;

namespace {

const nk::u8* bytes(const char* text) {
    return reinterpret_cast<const nk::u8*>(text);
}

std::vector<std::string> list(Vfs& vfs, const char* path) {
    File* directory = open_file(vfs, path, O_RDONLY | O_DIRECTORY);
    std::vector<std::string> names;
    nk::abi::DirEntry entries[2];
    for (;;) {
        auto count = directory->read_directory(entries, 2);
        REQUIRE(count.has_value());
        if (count.value() == 0)
            break;
        for (nk::usize i = 0; i < count.value(); ++i)
            names.push_back(entries[i].name);
    }
    directory->unref();
    return names;
}

Error open_error(Vfs& vfs, const char* path, nk::u32 flags, const char* cwd = "/") {
    auto file = vfs.open(cwd, path, flags);
    if (file.has_value()) {
        file.value()->unref();
        FAIL("open " << path << " succeeded");
    }
    return file.error();
}

// A Tree with devfs on /dev.
class DevTree : public Tree {
public:
    DevTree() {
        auto devfs = DevFs::create();
        REQUIRE(devfs.has_value());
        this->devfs = devfs.value();
        REQUIRE(register_standard_devices(*this->devfs).has_value());
        REQUIRE(vfs.mkdir("/", "/dev").has_value());
        REQUIRE(vfs.mount("/dev", *this->devfs).has_value());
    }
    ~DevTree() {
        CHECK(vfs.unmount("/dev").has_value());
        delete devfs;
    }
    DevFs* devfs;
};

} // namespace

TEST_CASE("vfs: create, write, read back, stat", "[vfs]") {
    Tree tree;
    write_file(tree.vfs, "/hello.txt", "hello, world");
    CHECK(read_file(tree.vfs, "/hello.txt") == "hello, world");
    auto stat = tree.vfs.stat("/", "/hello.txt");
    REQUIRE(stat.has_value());
    CHECK(stat.value().size == 12);
    CHECK(stat.value().type == FileType::Regular);
    CHECK(stat.value().links == 1);
    CHECK(tree.vfs.stat("/", "/").value().type == FileType::Directory);
    CHECK(error_of(tree.vfs.stat("/", "/missing")) == Error::NoEntry);
    CHECK(error_of(tree.vfs.stat("/", "/hello.txt/")) == Error::NotDirectory);
    CHECK(error_of(tree.vfs.stat("/", "/hello.txt/x")) == Error::NotDirectory);
    CHECK(error_of(tree.vfs.stat("/", "")) == Error::NoEntry);
}

TEST_CASE("vfs: relative paths use the working directory", "[vfs]") {
    Tree tree;
    REQUIRE(tree.vfs.mkdir("/", "/home").has_value());
    REQUIRE(tree.vfs.mkdir("/home", "user").has_value());
    File* file = open_file(tree.vfs, "notes", CREATE, "/home/user");
    file->unref();
    CHECK(exists(tree.vfs, "/home/user/notes"));
    CHECK(tree.vfs.stat("/home/user", "../user/./notes").has_value());
    auto directory = tree.vfs.resolve_directory("/home/user", "..//user/");
    REQUIRE(directory.has_value());
    CHECK(std::string(directory.value().c_str()) == "/home/user");
    CHECK(error_of(tree.vfs.resolve_directory("/home/user", "notes")) == Error::NotDirectory);
    CHECK(error_of(tree.vfs.resolve_directory("/", "/nowhere")) == Error::NoEntry);
    CHECK(std::string(tree.vfs.resolve_directory("/home", "../..").value().c_str()) == "/");
}

TEST_CASE("vfs: open flags and their errors", "[vfs]") {
    Tree tree;
    write_file(tree.vfs, "/file", "data");
    REQUIRE(tree.vfs.mkdir("/", "/dir").has_value());

    CHECK(open_error(tree.vfs, "/missing", O_RDONLY) == Error::NoEntry);
    CHECK(open_error(tree.vfs, "/missing/x", O_RDONLY | O_CREAT) == Error::NoEntry);
    CHECK(open_error(tree.vfs, "/file/x", O_RDONLY) == Error::NotDirectory);
    CHECK(open_error(tree.vfs, "/file/x", O_WRONLY | O_CREAT) == Error::NotDirectory);
    CHECK(open_error(tree.vfs, "/file", O_RDONLY | O_DIRECTORY) == Error::NotDirectory);
    CHECK(open_error(tree.vfs, "/file/", O_RDONLY) == Error::NotDirectory);
    CHECK(open_error(tree.vfs, "/file", O_WRONLY | O_CREAT | O_EXCL) == Error::Exists);
    CHECK(open_error(tree.vfs, "/dir", O_WRONLY | O_CREAT | O_EXCL) == Error::Exists);
    CHECK(open_error(tree.vfs, "/", O_WRONLY | O_CREAT | O_EXCL) == Error::Exists);
    CHECK(open_error(tree.vfs, "/dir", O_WRONLY) == Error::IsDirectory);
    CHECK(open_error(tree.vfs, "/dir", O_RDWR) == Error::IsDirectory);
    CHECK(open_error(tree.vfs, "/dir", O_RDONLY | O_CREAT) == Error::IsDirectory);
    CHECK(open_error(tree.vfs, "/", O_RDONLY | O_CREAT) == Error::IsDirectory);
    CHECK(open_error(tree.vfs, "/new/", O_WRONLY | O_CREAT) == Error::IsDirectory);
    CHECK(open_error(tree.vfs, "/file", 3) == Error::Invalid);
    CHECK_FALSE(exists(tree.vfs, "/new"));

    // O_CREAT on an existing file opens it unchanged; O_EXCL on a new name creates it.
    File* file = open_file(tree.vfs, "/file", O_RDWR | O_CREAT);
    CHECK(read_all(*file) == "data");
    file->unref();
    file = open_file(tree.vfs, "/fresh", O_RDWR | O_CREAT | O_EXCL);
    file->unref();
    CHECK(exists(tree.vfs, "/fresh"));
    file = open_file(tree.vfs, "/dir/", O_RDONLY | O_DIRECTORY);
    file->unref();
}

TEST_CASE("vfs: access modes are enforced per File", "[vfs]") {
    Tree tree;
    write_file(tree.vfs, "/file", "data");
    REQUIRE(tree.vfs.mkdir("/", "/dir").has_value());
    nk::u8 buffer[8];

    File* reader = open_file(tree.vfs, "/file", O_RDONLY);
    CHECK(error_of(reader->write(bytes("x"), 1)) == Error::BadHandle);
    CHECK(error_of(reader->truncate(0)) == Error::BadHandle);
    CHECK(error_of(reader->read_directory(nullptr, 1)) == Error::NotDirectory);
    CHECK(reader->can_read());
    CHECK_FALSE(reader->can_write());
    reader->unref();

    File* writer = open_file(tree.vfs, "/file", O_WRONLY);
    CHECK(error_of(writer->read(buffer, sizeof(buffer))) == Error::BadHandle);
    CHECK(writer->write(bytes("D"), 1).value() == 1);
    writer->unref();
    CHECK(read_file(tree.vfs, "/file") == "Data");

    File* directory = open_file(tree.vfs, "/dir", O_RDONLY);
    CHECK(error_of(directory->read(buffer, sizeof(buffer))) == Error::IsDirectory);
    CHECK(directory->type() == FileType::Directory);
    directory->unref();
}

TEST_CASE("vfs: O_TRUNC empties, O_APPEND writes at the end", "[vfs]") {
    Tree tree;
    write_file(tree.vfs, "/log", "first\n");
    // O_TRUNC is ignored for a read-only open.
    File* reader = open_file(tree.vfs, "/log", O_RDONLY | O_TRUNC);
    reader->unref();
    CHECK(read_file(tree.vfs, "/log") == "first\n");

    File* a = open_file(tree.vfs, "/log", O_WRONLY | O_APPEND);
    File* b = open_file(tree.vfs, "/log", O_WRONLY | O_APPEND);
    CHECK(a->write(bytes("second\n"), 7).value() == 7);
    CHECK(b->write(bytes("third\n"), 6).value() == 6);
    // A seek does not stop the next append from going to the end.
    CHECK(a->seek(0, WHENCE_SET).value() == 0);
    CHECK(a->write(bytes("fourth\n"), 7).value() == 7);
    a->unref();
    b->unref();
    CHECK(read_file(tree.vfs, "/log") == "first\nsecond\nthird\nfourth\n");

    File* truncating = open_file(tree.vfs, "/log", O_RDWR | O_TRUNC);
    CHECK(truncating->stat().value().size == 0);
    truncating->unref();
    CHECK(read_file(tree.vfs, "/log").empty());
}

TEST_CASE("vfs: seek semantics", "[vfs]") {
    Tree tree;
    write_file(tree.vfs, "/f", "0123456789");
    File* file = open_file(tree.vfs, "/f", O_RDWR);
    nk::u8 buffer[4];
    CHECK(file->seek(3, WHENCE_SET).value() == 3);
    CHECK(file->read(buffer, 2).value() == 2);
    CHECK(std::memcmp(buffer, "34", 2) == 0);
    CHECK(file->seek(2, WHENCE_CUR).value() == 7);
    CHECK(file->seek(-1, WHENCE_END).value() == 9);
    CHECK(file->read(buffer, 4).value() == 1);
    CHECK(file->read(buffer, 4).value() == 0);
    CHECK(error_of(file->seek(-11, WHENCE_END)) == Error::Invalid);
    CHECK(error_of(file->seek(-1, WHENCE_SET)) == Error::Invalid);
    CHECK(error_of(file->seek(INT64_MIN, WHENCE_CUR)) == Error::Invalid);
    CHECK(error_of(file->seek(0, 7)) == Error::Invalid);
    CHECK(file->seek(INT64_MAX, WHENCE_SET).value() == nk::u64(INT64_MAX));
    CHECK(error_of(file->seek(1, WHENCE_CUR)) == Error::Overflow);
    CHECK(error_of(file->write(bytes("x"), 1)) == Error::FileTooBig);
    // Past the end: the gap reads as zeros.
    CHECK(file->seek(12, WHENCE_SET).value() == 12);
    CHECK(file->write(bytes("!"), 1).value() == 1);
    file->unref();
    CHECK(read_file(tree.vfs, "/f") == std::string("0123456789\0\0!", 13));

    REQUIRE(tree.vfs.mkdir("/", "/d").has_value());
    File* directory = open_file(tree.vfs, "/d", O_RDONLY);
    CHECK(error_of(directory->seek(0, WHENCE_END)) == Error::Invalid);
    CHECK(directory->seek(0, WHENCE_SET).value() == 0);
    directory->unref();
}

TEST_CASE("vfs: readdir lists entries in batches and rewinds", "[vfs]") {
    Tree tree;
    REQUIRE(tree.vfs.mkdir("/", "/d").has_value());
    CHECK(list(tree.vfs, "/d").empty());
    write_file(tree.vfs, "/d/a", "1");
    write_file(tree.vfs, "/d/b", "22");
    REQUIRE(tree.vfs.mkdir("/", "/d/sub").has_value());
    write_file(tree.vfs, "/d/c", "333");
    CHECK(list(tree.vfs, "/d") == std::vector<std::string>{"a", "b", "sub", "c"});

    File* directory = open_file(tree.vfs, "/d", O_RDONLY);
    nk::abi::DirEntry entries[10];
    REQUIRE(directory->read_directory(entries, 10).value() == 4);
    CHECK(entries[1].type == FileType::Regular);
    CHECK(entries[1].size == 2);
    CHECK(entries[2].type == FileType::Directory);
    CHECK(directory->read_directory(entries, 10).value() == 0);
    CHECK(directory->read_directory(entries, 0).value() == 0);
    CHECK(directory->seek(0, WHENCE_SET).value() == 0);
    CHECK(directory->read_directory(entries, 10).value() == 4);
    directory->unref();

    auto stat = tree.vfs.stat("/", "/d").value();
    CHECK(stat.links == 3);
    CHECK(stat.size == 4);
}

TEST_CASE("vfs: mkdir", "[vfs]") {
    Tree tree;
    REQUIRE(tree.vfs.mkdir("/", "/a").has_value());
    REQUIRE(tree.vfs.mkdir("/", "/a/b/").has_value());
    CHECK(error_of(tree.vfs.mkdir("/", "/a")) == Error::Exists);
    CHECK(error_of(tree.vfs.mkdir("/", "/")) == Error::Exists);
    CHECK(error_of(tree.vfs.mkdir("/", "/x/y")) == Error::NoEntry);
    write_file(tree.vfs, "/file", "");
    CHECK(error_of(tree.vfs.mkdir("/", "/file")) == Error::Exists);
    CHECK(error_of(tree.vfs.mkdir("/", "/file/sub")) == Error::NotDirectory);
    std::string long_name(nk::abi::MAX_NAME, 'x');
    CHECK(error_of(tree.vfs.mkdir("/", ("/" + long_name).c_str())) == Error::NameTooLong);
    CHECK(tree.vfs.stat("/", "/a/b").value().type == FileType::Directory);
}

TEST_CASE("vfs: unlink", "[vfs]") {
    Tree tree;
    write_file(tree.vfs, "/file", "x");
    REQUIRE(tree.vfs.mkdir("/", "/dir").has_value());
    CHECK(error_of(tree.vfs.unlink("/", "/dir")) == Error::IsDirectory);
    CHECK(error_of(tree.vfs.unlink("/", "/")) == Error::IsDirectory);
    CHECK(error_of(tree.vfs.unlink("/", "/missing")) == Error::NoEntry);
    CHECK(error_of(tree.vfs.unlink("/", "/file/")) == Error::NotDirectory);
    CHECK(tree.vfs.unlink("/", "/file").has_value());
    CHECK_FALSE(exists(tree.vfs, "/file"));
    CHECK(error_of(tree.vfs.unlink("/", "/file")) == Error::NoEntry);
}

TEST_CASE("vfs: an unlinked file stays usable until closed", "[vfs]") {
    Tree tree;
    write_file(tree.vfs, "/temp", "still here");
    std::size_t inodes = Inode::live_count();
    File* file = open_file(tree.vfs, "/temp", O_RDWR);
    REQUIRE(tree.vfs.unlink("/", "/temp").has_value());
    CHECK_FALSE(exists(tree.vfs, "/temp"));
    CHECK(Inode::live_count() == inodes);
    CHECK(read_all(*file) == "still here");
    CHECK(file->write(bytes(" and more"), 9).value() == 9);
    CHECK(file->seek(0, WHENCE_SET).value() == 0);
    CHECK(read_all(*file) == "still here and more");
    CHECK(file->stat().value().links == 0);
    // A new file of the same name is a different file.
    write_file(tree.vfs, "/temp", "new");
    CHECK(read_file(tree.vfs, "/temp") == "new");
    CHECK(Inode::live_count() == inodes + 1);
    file->unref();
    CHECK(Inode::live_count() == inodes);
}

TEST_CASE("vfs: rmdir", "[vfs]") {
    Tree tree;
    REQUIRE(tree.vfs.mkdir("/", "/d").has_value());
    write_file(tree.vfs, "/d/f", "x");
    write_file(tree.vfs, "/file", "x");
    CHECK(error_of(tree.vfs.rmdir("/", "/d")) == Error::NotEmpty);
    CHECK(error_of(tree.vfs.rmdir("/", "/file")) == Error::NotDirectory);
    CHECK(error_of(tree.vfs.rmdir("/", "/missing")) == Error::NoEntry);
    CHECK(error_of(tree.vfs.rmdir("/", "/")) == Error::Busy);
    CHECK(error_of(tree.vfs.rmdir("/d", "..")) == Error::Busy);
    REQUIRE(tree.vfs.unlink("/", "/d/f").has_value());
    CHECK(tree.vfs.rmdir("/", "/d/").has_value());
    CHECK_FALSE(exists(tree.vfs, "/d"));
    CHECK(tree.vfs.stat("/", "/").value().links == 2);
}

TEST_CASE("vfs: rename files", "[vfs]") {
    Tree tree;
    write_file(tree.vfs, "/a", "A");
    write_file(tree.vfs, "/b", "B");
    REQUIRE(tree.vfs.mkdir("/", "/dir").has_value());

    REQUIRE(tree.vfs.rename("/", "/a", "/dir/moved").has_value());
    CHECK_FALSE(exists(tree.vfs, "/a"));
    CHECK(read_file(tree.vfs, "/dir/moved") == "A");

    // Replacing an existing file; the old one is freed unless open.
    File* old_b = open_file(tree.vfs, "/b", O_RDONLY);
    std::size_t inodes = Inode::live_count();
    REQUIRE(tree.vfs.rename("/", "/dir/moved", "/b").has_value());
    CHECK(read_file(tree.vfs, "/b") == "A");
    CHECK(read_all(*old_b) == "B");
    CHECK(Inode::live_count() == inodes);
    old_b->unref();
    CHECK(Inode::live_count() == inodes - 1);

    // Onto itself: nothing changes.
    REQUIRE(tree.vfs.rename("/", "/b", "/./b").has_value());
    CHECK(read_file(tree.vfs, "/b") == "A");

    CHECK(error_of(tree.vfs.rename("/", "/missing", "/c")) == Error::NoEntry);
    CHECK(error_of(tree.vfs.rename("/", "/b", "/nowhere/c")) == Error::NoEntry);
    CHECK(error_of(tree.vfs.rename("/", "/b", "/dir")) == Error::IsDirectory);
    CHECK(error_of(tree.vfs.rename("/", "/b/", "/c")) == Error::NotDirectory);
    CHECK(error_of(tree.vfs.rename("/", "/b", "/c/")) == Error::NotDirectory);
    CHECK(error_of(tree.vfs.rename("/", "/b", "/")) == Error::Busy);
    CHECK(error_of(tree.vfs.rename("/", "/", "/x")) == Error::Busy);
    CHECK(read_file(tree.vfs, "/b") == "A");

    // An open file keeps working across a rename.
    File* open = open_file(tree.vfs, "/b", O_RDWR | O_APPEND);
    REQUIRE(tree.vfs.rename("/", "/b", "/dir/renamed").has_value());
    CHECK(open->write(bytes("+"), 1).value() == 1);
    open->unref();
    CHECK(read_file(tree.vfs, "/dir/renamed") == "A+");
}

TEST_CASE("vfs: rename directories", "[vfs]") {
    Tree tree;
    REQUIRE(tree.vfs.mkdir("/", "/src").has_value());
    REQUIRE(tree.vfs.mkdir("/", "/src/inner").has_value());
    write_file(tree.vfs, "/src/inner/f", "deep");
    REQUIRE(tree.vfs.mkdir("/", "/empty").has_value());
    REQUIRE(tree.vfs.mkdir("/", "/full").has_value());
    write_file(tree.vfs, "/full/x", "x");
    write_file(tree.vfs, "/file", "x");

    CHECK(error_of(tree.vfs.rename("/", "/src", "/src/inner/below")) == Error::Invalid);
    CHECK(error_of(tree.vfs.rename("/", "/src", "/src/x")) == Error::Invalid);
    CHECK(error_of(tree.vfs.rename("/", "/src", "/full")) == Error::NotEmpty);
    CHECK(error_of(tree.vfs.rename("/", "/src", "/file")) == Error::NotDirectory);
    CHECK(error_of(tree.vfs.rename("/", "/src/inner", "/src")) == Error::NotEmpty);
    // "/srcx" starts with "/src" but is not inside it.
    REQUIRE(tree.vfs.rename("/", "/src", "/srcx").has_value());
    REQUIRE(tree.vfs.rename("/", "/srcx", "/empty").has_value());
    CHECK_FALSE(exists(tree.vfs, "/srcx"));
    CHECK(read_file(tree.vfs, "/empty/inner/f") == "deep");
    REQUIRE(tree.vfs.rename("/", "/empty/inner", "/full/inner").has_value());
    CHECK(read_file(tree.vfs, "/full/inner/f") == "deep");
    CHECK(tree.vfs.stat("/", "/full").value().links == 3);
    CHECK(tree.vfs.stat("/", "/empty").value().links == 2);
    CHECK(list(tree.vfs, "/") == std::vector<std::string>{"full", "file", "empty"});
}

TEST_CASE("vfs: truncate by path and by File", "[vfs]") {
    Tree tree;
    write_file(tree.vfs, "/f", "0123456789");
    REQUIRE(tree.vfs.truncate("/", "/f", 4).has_value());
    CHECK(read_file(tree.vfs, "/f") == "0123");
    REQUIRE(tree.vfs.truncate("/", "/f", 6).has_value());
    CHECK(read_file(tree.vfs, "/f") == std::string("0123\0\0", 6));
    REQUIRE(tree.vfs.truncate("/", "/f", 0).has_value());
    CHECK(read_file(tree.vfs, "/f").empty());
    REQUIRE(tree.vfs.mkdir("/", "/d").has_value());
    CHECK(error_of(tree.vfs.truncate("/", "/d", 0)) == Error::IsDirectory);
    CHECK(error_of(tree.vfs.truncate("/", "/missing", 0)) == Error::NoEntry);
    CHECK(error_of(tree.vfs.truncate("/", "/f/", 0)) == Error::NotDirectory);
    CHECK(error_of(tree.vfs.truncate("/", "/f", 1ull << 62)) == Error::FileTooBig);

    File* file = open_file(tree.vfs, "/f", O_RDWR);
    CHECK(file->write(bytes("abc"), 3).value() == 3);
    REQUIRE(file->truncate(1).has_value());
    CHECK(file->stat().value().size == 1);
    file->unref();
}

TEST_CASE("vfs: out of memory is ENOSPC and changes nothing", "[vfs]") {
    Tree tree;
    write_file(tree.vfs, "/f", "original");
    File* file = open_file(tree.vfs, "/f", O_RDWR | O_APPEND);
    std::string big(100000, 'b');
    host::kmalloc_fail_after(0);
    CHECK(error_of(file->write(bytes(big.c_str()), big.size())) == Error::NoSpace);
    CHECK(error_of(tree.vfs.mkdir("/", "/d")) == Error::NoSpace);
    CHECK(error_of(tree.vfs.truncate("/", "/f", 1000000)) == Error::NoSpace);
    // The File first (ENOMEM), then the inode and the directory entry (ENOSPC).
    CHECK(open_error(tree.vfs, "/new", O_WRONLY | O_CREAT) == Error::NoMemory);
    host::kmalloc_fail_after(1);
    CHECK(open_error(tree.vfs, "/new", O_WRONLY | O_CREAT) == Error::NoSpace);
    host::kmalloc_fail_after(2);
    CHECK(open_error(tree.vfs, "/new", O_WRONLY | O_CREAT) == Error::NoSpace);
    host::kmalloc_fail_never();
    file->unref();
    CHECK(read_file(tree.vfs, "/f") == "original");
    CHECK(tree.vfs.stat("/", "/f").value().size == 8);
    CHECK_FALSE(exists(tree.vfs, "/d"));
    CHECK_FALSE(exists(tree.vfs, "/new"));
}

TEST_CASE("vfs: mount points are crossed in both directions", "[vfs]") {
    Tree tree;
    REQUIRE(tree.vfs.mkdir("/", "/mnt").has_value());
    write_file(tree.vfs, "/mnt/hidden", "under the mount");
    write_file(tree.vfs, "/top", "top");
    RamFs* other = RamFs::create().value();
    REQUIRE(tree.vfs.mount("/mnt", *other).has_value());

    CHECK_FALSE(exists(tree.vfs, "/mnt/hidden"));
    write_file(tree.vfs, "/mnt/inside", "inside");
    CHECK(list(tree.vfs, "/mnt") == std::vector<std::string>{"inside"});
    CHECK(read_file(tree.vfs, "/mnt/../top") == "top");
    CHECK(read_file(tree.vfs, "/mnt/./../mnt/inside") == "inside");
    File* file = open_file(tree.vfs, "../top", O_RDONLY, "/mnt");
    file->unref();
    CHECK(std::string(tree.vfs.resolve_directory("/mnt", "..").value().c_str()) == "/");

    // Mount points are busy; renames do not cross file systems.
    CHECK(error_of(tree.vfs.rmdir("/", "/mnt")) == Error::Busy);
    CHECK(error_of(tree.vfs.rename("/", "/mnt", "/elsewhere")) == Error::Busy);
    REQUIRE(tree.vfs.mkdir("/", "/victim").has_value());
    CHECK(error_of(tree.vfs.rename("/", "/victim", "/mnt")) == Error::Busy);
    CHECK(error_of(tree.vfs.rename("/", "/top", "/mnt/top")) == Error::NotSupported);
    CHECK(error_of(tree.vfs.rename("/", "/mnt/inside", "/inside")) == Error::NotSupported);

    // Mount errors.
    RamFs* third = RamFs::create().value();
    CHECK(error_of(tree.vfs.mount("/mnt", *third)) == Error::Busy);
    CHECK(error_of(tree.vfs.mount("/top", *third)) == Error::NotDirectory);
    CHECK(error_of(tree.vfs.mount("/missing", *third)) == Error::NoEntry);
    CHECK(error_of(tree.vfs.mount("/", *third)) == Error::Busy);
    CHECK(error_of(tree.vfs.mount("/victim", *other)) == Error::Busy);
    CHECK(error_of(tree.vfs.unmount("/victim")) == Error::Invalid);
    CHECK(error_of(tree.vfs.unmount("/")) == Error::Busy);

    // Nested: /mnt/deep on the second file system.
    REQUIRE(tree.vfs.mkdir("/", "/mnt/deep").has_value());
    REQUIRE(tree.vfs.mount("/mnt/deep", *third).has_value());
    write_file(tree.vfs, "/mnt/deep/d", "d");
    CHECK(read_file(tree.vfs, "/mnt/deep/../inside") == "inside");
    CHECK(error_of(tree.vfs.unmount("/mnt")) == Error::Busy);

    // Open files keep a file system busy.
    File* open = open_file(tree.vfs, "/mnt/deep/d", O_RDONLY);
    CHECK(error_of(tree.vfs.unmount("/mnt/deep")) == Error::Busy);
    open->unref();
    REQUIRE(tree.vfs.unmount("/mnt/deep/").has_value());
    delete third;
    REQUIRE(tree.vfs.unmount("/mnt").has_value());
    delete other;
    CHECK(read_file(tree.vfs, "/mnt/hidden") == "under the mount");
}

namespace {

struct RecordingDevice {
    Vfs* vfs;
    std::string written;
    int reads = 0;
    bool lock_held_in_callback = false;
};

nk::Result<nk::usize> recording_read(void* context, nk::u8* buffer, nk::usize length) {
    auto* device = static_cast<RecordingDevice*>(context);
    device->lock_held_in_callback |= device->vfs->mutex().is_locked();
    ++device->reads;
    nk::usize count = std::min<nk::usize>(length, 3);
    std::memcpy(buffer, "abc", count);
    return count;
}

nk::Result<nk::usize> recording_write(void* context, const nk::u8* buffer, nk::usize length) {
    auto* device = static_cast<RecordingDevice*>(context);
    device->lock_held_in_callback |= device->vfs->mutex().is_locked();
    device->written.append(reinterpret_cast<const char*>(buffer), length);
    return length;
}

} // namespace

TEST_CASE("vfs: devfs devices, called without the VFS lock", "[vfs]") {
    DevTree tree;
    RecordingDevice console{&tree.vfs, "", 0, false};
    CharDeviceOps ops = {recording_read, recording_write};
    {
        kernel::MutexLocker locker(tree.vfs.mutex());
        REQUIRE(tree.devfs->register_device("console", ops, &console).has_value());
        CHECK(error_of(tree.devfs->register_device("console", ops, &console)) == Error::Exists);
        CHECK(error_of(tree.devfs->register_device("a/b", ops, &console)) == Error::Invalid);
        CHECK(error_of(tree.devfs->register_device("", ops, &console)) == Error::Invalid);
    }
    CHECK(list(tree.vfs, "/dev") == std::vector<std::string>{"null", "zero", "console"});

    File* file = open_file(tree.vfs, "/dev/console", O_RDWR | O_TRUNC);
    nk::u8 buffer[16];
    CHECK(file->read(buffer, sizeof(buffer)).value() == 3);
    CHECK(file->write(bytes("printed"), 7).value() == 7);
    CHECK(file->seek(5, WHENCE_SET).value() == 0);
    CHECK(file->stat().value().type == FileType::CharDevice);
    CHECK(error_of(file->truncate(0)) == Error::Invalid);
    CHECK(console.written == "printed");
    CHECK(console.reads == 1);
    CHECK_FALSE(console.lock_held_in_callback);
    {
        kernel::MutexLocker locker(tree.vfs.mutex());
        CHECK(error_of(tree.devfs->unregister_device("console")) == Error::Busy);
    }
    file->unref();
    {
        kernel::MutexLocker locker(tree.vfs.mutex());
        CHECK(tree.devfs->unregister_device("console").has_value());
        CHECK(error_of(tree.devfs->unregister_device("console")) == Error::NoEntry);
    }
    CHECK_FALSE(exists(tree.vfs, "/dev/console"));
}

TEST_CASE("vfs: /dev/null and /dev/zero", "[vfs]") {
    DevTree tree;
    nk::u8 buffer[8];
    std::memset(buffer, 0xff, sizeof(buffer));
    File* null = open_file(tree.vfs, "/dev/null", O_RDWR);
    CHECK(null->read(buffer, sizeof(buffer)).value() == 0);
    CHECK(null->write(bytes("gone"), 4).value() == 4);
    null->unref();
    File* zero = open_file(tree.vfs, "/dev/zero", O_RDONLY);
    CHECK(zero->read(buffer, sizeof(buffer)).value() == sizeof(buffer));
    CHECK(buffer[0] == 0);
    CHECK(buffer[7] == 0);
    CHECK(error_of(zero->write(bytes("x"), 1)) == Error::BadHandle);
    zero->unref();

    auto stat = tree.vfs.stat("/", "/dev/zero");
    REQUIRE(stat.has_value());
    CHECK(stat.value().type == FileType::CharDevice);
    CHECK(tree.vfs.stat("/", "/dev").value().type == FileType::Directory);
    // Programs cannot change devfs.
    CHECK(open_error(tree.vfs, "/dev/new", O_WRONLY | O_CREAT) == Error::NotPermitted);
    CHECK(open_error(tree.vfs, "/dev/null", O_WRONLY | O_CREAT | O_EXCL) == Error::Exists);
    CHECK(error_of(tree.vfs.unlink("/", "/dev/null")) == Error::NotPermitted);
    CHECK(error_of(tree.vfs.mkdir("/", "/dev/sub")) == Error::NotPermitted);
    CHECK(error_of(tree.vfs.truncate("/", "/dev/null", 0)) == Error::Invalid);
    CHECK(error_of(tree.vfs.rename("/", "/dev/null", "/dev/void")) == Error::NotPermitted);
    CHECK(error_of(tree.vfs.rmdir("/", "/dev")) == Error::Busy);
    // O_TRUNC on a device is ignored.
    File* truncating = open_file(tree.vfs, "/dev/null", O_WRONLY | O_TRUNC);
    truncating->unref();
}

TEST_CASE("vfs: file table allocation, dup2 and close", "[vfs]") {
    Tree tree;
    write_file(tree.vfs, "/f", "0123456789");
    std::size_t files = File::live_count();
    {
        FileTable table;
        CHECK(table.install(open_file(tree.vfs, "/f", O_RDONLY)).value() == 0);
        CHECK(table.install(open_file(tree.vfs, "/f", O_RDONLY)).value() == 1);
        CHECK(table.install(open_file(tree.vfs, "/f", O_RDONLY)).value() == 2);
        REQUIRE(table.close(1).has_value());
        CHECK(error_of(table.close(1)) == Error::BadHandle);
        CHECK(error_of(table.close(-1)) == Error::BadHandle);
        CHECK(error_of(table.close(nk::abi::MAX_FDS)) == Error::BadHandle);
        CHECK(table.install(open_file(tree.vfs, "/f", O_RDONLY)).value() == 1);
        CHECK(table.open_count() == 3);

        // dup2 shares the File, and so the position.
        CHECK(table.dup2(0, 5).value() == 5);
        CHECK(table.dup2(0, 0).value() == 0);
        CHECK(error_of(table.dup2(7, 8)) == Error::BadHandle);
        CHECK(error_of(table.dup2(0, nk::abi::MAX_FDS)) == Error::BadHandle);
        CHECK(error_of(table.dup2(0, -1)) == Error::BadHandle);
        nk::u8 buffer[4];
        CHECK(table.get(0).value()->read(buffer, 4).value() == 4);
        CHECK(table.get(5).value()->read(buffer, 4).value() == 4);
        CHECK(std::memcmp(buffer, "4567", 4) == 0);
        CHECK(table.get(0).value().get() == table.get(5).value().get());
        // dup2 over an open descriptor closes what it held.
        std::size_t before = File::live_count();
        CHECK(table.dup2(0, 2).value() == 2);
        CHECK(File::live_count() == before - 1);
        CHECK(error_of(table.get(9)) == Error::BadHandle);
        CHECK(error_of(table.get(-3)) == Error::BadHandle);

        // A File obtained through get() survives the descriptor's close.
        RefPtr<File> held = table.get(1).value();
        REQUIRE(table.close(1).has_value());
        CHECK(held->read(buffer, 4).value() == 4);
    }
    CHECK(File::live_count() == files);
}

TEST_CASE("vfs: file table runs out at MAX_FDS", "[vfs]") {
    Tree tree;
    write_file(tree.vfs, "/f", "x");
    std::size_t files = File::live_count();
    FileTable table;
    for (int fd = 0; fd < nk::abi::MAX_FDS; ++fd)
        REQUIRE(table.install(open_file(tree.vfs, "/f", O_RDONLY)).value() == fd);
    CHECK(error_of(table.install(open_file(tree.vfs, "/f", O_RDONLY))) == Error::TooManyFiles);
    CHECK(File::live_count() == files + nk::abi::MAX_FDS);
    table.close_all();
    CHECK(table.open_count() == 0);
    CHECK(File::live_count() == files);
}

TEST_CASE("vfs: a child's file table is built from the parent's by a map", "[vfs]") {
    Tree tree;
    write_file(tree.vfs, "/in", "input");
    std::size_t files = File::live_count();
    FileTable parent;
    REQUIRE(parent.install(open_file(tree.vfs, "/in", O_RDONLY)).value() == 0);
    REQUIRE(parent.install(open_file(tree.vfs, "/out", CREATE)).value() == 1);
    {
        FileTable child;
        const int bad_map[] = {0, 4, -1};
        CHECK(error_of(child.inherit(parent, nk::Span<const int>(bad_map))) == Error::BadHandle);
        CHECK(child.open_count() == 0);
        CHECK(error_of(parent.inherit(parent, nk::Span<const int>(bad_map))) == Error::BadHandle);

        const int map[] = {0, 1, 1, -1};
        REQUIRE(child.inherit(parent, nk::Span<const int>(map)).has_value());
        CHECK(child.open_count() == 3);
        CHECK(error_of(child.get(3)) == Error::BadHandle);
        CHECK(child.get(0).value().get() == parent.get(0).value().get());
        CHECK(child.get(2).value().get() == parent.get(1).value().get());
        // The position is shared with the parent.
        nk::u8 buffer[2];
        CHECK(child.get(0).value()->read(buffer, 2).value() == 2);
        CHECK(parent.get(0).value()->read(buffer, 2).value() == 2);
        CHECK(std::memcmp(buffer, "pu", 2) == 0);
        CHECK(child.get(1).value()->write(bytes("child"), 5).value() == 5);
        CHECK(File::live_count() == files + 2);
    }
    // The child's exit leaves the parent's descriptors open.
    CHECK(parent.get(1).value()->write(bytes("+parent"), 7).value() == 7);
    parent.close_all();
    CHECK(File::live_count() == files);
    CHECK(read_file(tree.vfs, "/out") == "child+parent");
}

TEST_CASE("vfs: many create, write, close, unlink cycles leave nothing behind", "[vfs]") {
    Tree tree;
    std::size_t blocks = host::kmalloc_live_blocks();
    std::size_t inodes = Inode::live_count();
    for (int i = 0; i < 200; ++i) {
        std::string name = "/f" + std::to_string(i % 7);
        FileTable table;
        int fd = table.install(open_file(tree.vfs, name.c_str(), O_RDWR | O_CREAT)).value();
        CHECK(table.get(fd).value()->write(bytes("payload"), 7).value() == 7);
        const int map[] = {fd, fd, -1};
        FileTable child;
        REQUIRE(child.inherit(table, nk::Span<const int>(map)).has_value());
        REQUIRE(tree.vfs.unlink("/", name.c_str()).has_value());
    }
    CHECK(Inode::live_count() == inodes);
    CHECK(host::kmalloc_live_blocks() == blocks);
}

TEST_CASE("vfs: modification times come from the time source", "[vfs]") {
    static nk::u64 now = 1000;
    set_time_source([] { return now; });
    {
        Tree tree;
        write_file(tree.vfs, "/f", "x");
        CHECK(tree.vfs.stat("/", "/f").value().modified_ns == 1000);
        now = 5000;
        File* file = open_file(tree.vfs, "/f", O_WRONLY);
        CHECK(file->write(bytes("y"), 1).value() == 1);
        file->unref();
        CHECK(tree.vfs.stat("/", "/f").value().modified_ns == 5000);
        CHECK(tree.vfs.stat("/", "/").value().modified_ns == 1000);
        REQUIRE(tree.vfs.unlink("/", "/f").has_value());
        CHECK(tree.vfs.stat("/", "/").value().modified_ns == 5000);
        CHECK(tree.vfs.stat("/", "/").value().inode != 0);
    }
    set_time_source(nullptr);
}

TEST_CASE("vfs: inode numbers are distinct within a file system", "[vfs]") {
    Tree tree;
    std::set<nk::u64> numbers;
    numbers.insert(tree.vfs.stat("/", "/").value().inode);
    for (int i = 0; i < 10; ++i) {
        std::string name = "/n" + std::to_string(i);
        if (i % 2)
            REQUIRE(tree.vfs.mkdir("/", name.c_str()).has_value());
        else
            write_file(tree.vfs, name.c_str(), "");
        numbers.insert(tree.vfs.stat("/", name.c_str()).value().inode);
    }
    CHECK(numbers.size() == 11);
}
