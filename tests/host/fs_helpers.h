// Helpers shared by the file-system host tests: a Vfs with a ramfs at "/", and whole-file
// reads and writes through it.
#pragma once

#include "support_kernel.h"

#include <kernel/fs/file.h>
#include <kernel/fs/inode.h>
#include <kernel/fs/ramfs.h>
#include <kernel/fs/vfs.h>

#include <catch2/catch.hpp>
#include <string>

namespace fs_test {

using namespace kernel::fs;

// A Vfs with a fresh ramfs mounted at "/"; tears both down and checks nothing leaked.
class Tree {
public:
    Tree()
        : m_live_blocks(host::kmalloc_live_blocks()), m_live_inodes(Inode::live_count()),
          m_live_files(File::live_count()) {
        auto root = RamFs::create();
        REQUIRE(root.has_value());
        m_root = root.value();
        REQUIRE(vfs.mount("/", *m_root).has_value());
    }
    ~Tree() {
        host::kmalloc_fail_never();
        CHECK(File::live_count() == m_live_files);
        CHECK(vfs.unmount("/").has_value());
        delete m_root;
        CHECK(Inode::live_count() == m_live_inodes);
        CHECK(host::kmalloc_live_blocks() == m_live_blocks);
    }

    Vfs vfs;

private:
    RamFs* m_root = nullptr;
    std::size_t m_live_blocks;
    std::size_t m_live_inodes;
    std::size_t m_live_files;
};

constexpr nk::u32 READ = nk::abi::O_RDONLY;
constexpr nk::u32 CREATE = nk::abi::O_WRONLY | nk::abi::O_CREAT | nk::abi::O_TRUNC;

inline File* open_file(Vfs& vfs, const char* path, nk::u32 flags, const char* cwd = "/") {
    auto file = vfs.open(cwd, path, flags);
    if (file.is_error())
        FAIL("open " << path << ": " << nk::error_name(file.error()));
    return file.value();
}

inline std::string read_all(File& file) {
    std::string text;
    char buffer[100];
    for (;;) {
        auto count = file.read(reinterpret_cast<nk::u8*>(buffer), sizeof(buffer));
        REQUIRE(count.has_value());
        if (count.value() == 0)
            return text;
        text.append(buffer, count.value());
    }
}

inline std::string read_file(Vfs& vfs, const char* path) {
    File* file = open_file(vfs, path, READ);
    std::string text = read_all(*file);
    file->unref();
    return text;
}

inline void write_file(Vfs& vfs, const char* path, const std::string& text) {
    File* file = open_file(vfs, path, CREATE);
    auto count = file->write(reinterpret_cast<const nk::u8*>(text.data()), text.size());
    REQUIRE(count.has_value());
    CHECK(count.value() == text.size());
    file->unref();
}

inline bool exists(Vfs& vfs, const char* path) {
    return vfs.stat("/", path).has_value();
}

inline nk::Error error_of(nk::ErrorOr result) {
    REQUIRE(result.is_error());
    return result.error();
}

template <typename T>
nk::Error error_of(const nk::Result<T>& result) {
    REQUIRE(result.is_error());
    return result.error();
}

} // namespace fs_test
