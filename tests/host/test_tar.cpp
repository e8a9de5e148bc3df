// The initrd tar parser (kernel/fs/tar.cpp), extracting into a ramfs.
#include "fs_helpers.h"

#include <kernel/fs/tar.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

using namespace fs_test;
using nk::Error;

namespace {

struct EntryOptions {
    std::string prefix;
    bool gnu_magic = false;
    std::string size_field; // overrides the octal size when set
    int checksum_delta = 0;
    bool signed_checksum = false;
};

// Builds archives the way `tar --format=ustar` lays them out.
class Archive {
public:
    using Options = EntryOptions;

    Archive& add(const std::string& name, char type, const std::string& data = "",
                 const Options& options = Options()) {
        std::size_t start = bytes.size();
        bytes.resize(start + 512, 0);
        char* header = reinterpret_cast<char*>(bytes.data() + start);
        std::memcpy(header, name.data(), std::min<std::size_t>(name.size(), 100));
        std::memcpy(header + 100, "0000644", 8);
        std::memcpy(header + 108, "0001750", 8);
        std::memcpy(header + 116, "0001750", 8);
        if (options.size_field.empty())
            std::snprintf(header + 124, 12, "%011o", unsigned(data.size()));
        else
            std::memcpy(header + 124, options.size_field.data(),
                        std::min<std::size_t>(options.size_field.size(), 12));
        std::memcpy(header + 136, "14567312345", 12);
        header[156] = type;
        if (options.gnu_magic) {
            std::memcpy(header + 257, "ustar  ", 8);
        } else {
            std::memcpy(header + 257, "ustar", 6);
            std::memcpy(header + 263, "00", 2);
        }
        std::memcpy(header + 265, "user", 4);
        std::memcpy(header + 297, "group", 5);
        std::memcpy(header + 329, "0000000", 8);
        std::memcpy(header + 337, "0000000", 8);
        std::memcpy(header + 345, options.prefix.data(),
                    std::min<std::size_t>(options.prefix.size(), 155));
        long sum = 0;
        for (int i = 0; i < 512; ++i) {
            char byte = (i >= 148 && i < 156) ? ' ' : header[i];
            sum += options.signed_checksum ? long(static_cast<signed char>(byte))
                                           : long(static_cast<unsigned char>(byte));
        }
        std::snprintf(header + 148, 8, "%06lo", sum + options.checksum_delta);
        header[155] = ' ';
        if (type != '5' && !data.empty()) {
            bytes.insert(bytes.end(), data.begin(), data.end());
            bytes.resize((bytes.size() + 511) / 512 * 512, 0);
        }
        return *this;
    }
    Archive& end(int zero_blocks = 2) {
        bytes.resize(bytes.size() + 512 * zero_blocks, 0);
        return *this;
    }
    std::vector<nk::u8> bytes;
};

nk::Result<TarSummary> extract(Tree& tree, const std::vector<nk::u8>& bytes) {
    kernel::MutexLocker locker(tree.vfs.mutex());
    return extract_tar(bytes.data(), bytes.size(), *tree.vfs.root_locked());
}

} // namespace

TEST_CASE("tar: files and directories are extracted", "[tar]") {
    Tree tree;
    Archive archive;
    archive.add("bin/", '5')
        .add("bin/hello", '0', "hello, world\n")
        .add("etc/", '5')
        .add("etc/motd", '0', std::string(1000, 'm'))
        .add("empty", '0')
        .end();
    auto summary = extract(tree, archive.bytes);
    REQUIRE(summary.has_value());
    CHECK(summary.value().files == 3);
    CHECK(summary.value().directories == 2);
    CHECK(summary.value().skipped == 0);
    CHECK(summary.value().bytes == 13 + 1000);
    CHECK(read_file(tree.vfs, "/bin/hello") == "hello, world\n");
    CHECK(read_file(tree.vfs, "/etc/motd") == std::string(1000, 'm'));
    CHECK(read_file(tree.vfs, "/empty").empty());
    CHECK(tree.vfs.stat("/", "/bin").value().type == nk::abi::FileType::Directory);
}

TEST_CASE("tar: data of exactly one block and of several blocks", "[tar]") {
    Tree tree;
    std::string block(512, 'b');
    std::string big;
    for (int i = 0; i < 5000; ++i)
        big += char('a' + i % 26);
    Archive archive;
    archive.add("block", '0', block).add("big", '0', big).add("after", '0', "x").end();
    REQUIRE(extract(tree, archive.bytes).has_value());
    CHECK(read_file(tree.vfs, "/block") == block);
    CHECK(read_file(tree.vfs, "/big") == big);
    CHECK(read_file(tree.vfs, "/after") == "x");
}

TEST_CASE("tar: the prefix field is joined to the name", "[tar]") {
    Tree tree;
    Archive archive;
    Archive::Options options;
    options.prefix = "very/long/directory";
    archive.add("file.txt", '0', "prefixed", options).end();
    auto summary = extract(tree, archive.bytes);
    REQUIRE(summary.has_value());
    CHECK(read_file(tree.vfs, "/very/long/directory/file.txt") == "prefixed");
    // GNU's magic means the prefix area holds other data and is not part of the name.
    Archive gnu;
    Archive::Options gnu_options;
    gnu_options.gnu_magic = true;
    gnu.add("gnu.txt", '0', "gnu", gnu_options).end();
    REQUIRE(extract(tree, gnu.bytes).has_value());
    CHECK(read_file(tree.vfs, "/gnu.txt") == "gnu");
}

TEST_CASE("tar: missing parent directories are created", "[tar]") {
    Tree tree;
    Archive archive;
    archive.add("a/b/c/deep.txt", '0', "deep").end();
    auto summary = extract(tree, archive.bytes);
    REQUIRE(summary.has_value());
    CHECK(summary.value().directories == 0);
    CHECK(read_file(tree.vfs, "/a/b/c/deep.txt") == "deep");
}

TEST_CASE("tar: links, devices, FIFOs and extension headers are skipped and counted", "[tar]") {
    Tree tree;
    Archive archive;
    archive.add("hard", '1')
        .add("soft", '2')
        .add("char", '3')
        .add("block", '4')
        .add("fifo", '6')
        .add("PaxHeaders/x", 'x', "30 mtime=1700000000.123456789\n")
        .add("kept", '0', "kept")
        .end();
    auto summary = extract(tree, archive.bytes);
    REQUIRE(summary.has_value());
    CHECK(summary.value().skipped == 6);
    CHECK(summary.value().files == 1);
    CHECK_FALSE(exists(tree.vfs, "/hard"));
    CHECK_FALSE(exists(tree.vfs, "/soft"));
    CHECK_FALSE(exists(tree.vfs, "/PaxHeaders"));
    CHECK(read_file(tree.vfs, "/kept") == "kept");
}

TEST_CASE("tar: end of archive without end blocks, with one, or with short zero padding", "[tar]") {
    for (int zero_blocks : {0, 1, 2, 20}) {
        Tree tree;
        Archive archive;
        archive.add("f", '0', "data").end(zero_blocks);
        auto summary = extract(tree, archive.bytes);
        REQUIRE(summary.has_value());
        CHECK(summary.value().files == 1);
    }
    Tree tree;
    Archive archive;
    archive.add("f", '0', "data");
    archive.bytes.resize(archive.bytes.size() + 100, 0);
    CHECK(extract(tree, archive.bytes).has_value());
    // The last member's padding may be cut off.
    Archive unpadded;
    unpadded.add("g", '0', "data");
    unpadded.bytes.resize(512 + 4);
    CHECK(extract(tree, unpadded.bytes).has_value());
    CHECK(read_file(tree.vfs, "/g") == "data");
    // An empty buffer is an empty archive.
    std::vector<nk::u8> empty;
    CHECK(extract(tree, empty).value().files == 0);
}

TEST_CASE("tar: a bad checksum is Corrupt after the good entries", "[tar]") {
    Tree tree;
    Archive archive;
    Archive::Options bad;
    bad.checksum_delta = 1;
    archive.add("good", '0', "good").add("bad", '0', "bad", bad).add("later", '0', "x").end();
    CHECK(error_of(extract(tree, archive.bytes)) == Error::Corrupt);
    CHECK(read_file(tree.vfs, "/good") == "good");
    CHECK_FALSE(exists(tree.vfs, "/bad"));
    CHECK_FALSE(exists(tree.vfs, "/later"));
}

TEST_CASE("tar: a signed-byte checksum is accepted", "[tar]") {
    Tree tree;
    Archive archive;
    Archive::Options options;
    options.signed_checksum = true;
    archive.add("caf\xc3\xa9", '0', "accent", options).end();
    REQUIRE(extract(tree, archive.bytes).has_value());
    CHECK(read_file(tree.vfs, "/caf\xc3\xa9") == "accent");
}

TEST_CASE("tar: a truncated header is Corrupt", "[tar]") {
    Tree tree;
    Archive archive;
    archive.add("first", '0', "1").add("second", '0', "2");
    archive.bytes.resize(1024 + 300);
    CHECK(error_of(extract(tree, archive.bytes)) == Error::Corrupt);
    CHECK(exists(tree.vfs, "/first"));
    CHECK_FALSE(exists(tree.vfs, "/second"));
}

TEST_CASE("tar: truncated data is Corrupt and creates nothing", "[tar]") {
    Tree tree;
    Archive archive;
    archive.add("cut", '0', std::string(2000, 'c'));
    archive.bytes.resize(512 + 1000);
    CHECK(error_of(extract(tree, archive.bytes)) == Error::Corrupt);
    CHECK_FALSE(exists(tree.vfs, "/cut"));
    // A size far beyond the buffer (the largest octal value) is caught the same way.
    Archive huge;
    Archive::Options options;
    options.size_field = "77777777777";
    huge.add("huge", '0', "", options).end();
    CHECK(error_of(extract(tree, huge.bytes)) == Error::Corrupt);
    CHECK_FALSE(exists(tree.vfs, "/huge"));
}

TEST_CASE("tar: garbage in numeric fields is Corrupt", "[tar]") {
    // Each exactly 12 bytes: a non-octal digit, a letter, nothing at all, GNU's base-256 form
    // (not ustar), text after the terminator, a sign.
    const std::string fields[] = {std::string("0000000008\0\0", 12),
                                  std::string("12x45\0\0\0\0\0\0\0", 12),
                                  std::string(12, '\0'),
                                  std::string("\x80\0\0\0\0\0\0\0\0\0\x10\0", 12),
                                  std::string("   \0 12\0\0\0\0\0", 12),
                                  std::string("-0000000001\0", 12)};
    for (const std::string& field : fields) {
        Tree tree;
        Archive archive;
        Archive::Options options;
        options.size_field = field;
        archive.add("file", '0', "", options).end();
        INFO("size field " << field.c_str());
        CHECK(error_of(extract(tree, archive.bytes)) == Error::Corrupt);
        CHECK_FALSE(exists(tree.vfs, "/file"));
    }
    // Leading spaces and a space terminator are fine.
    Tree tree;
    Archive archive;
    Archive::Options options;
    options.size_field = std::string("    3 \0\0\0\0\0\0", 12);
    archive.add("spaced", '0', "abc", options).end();
    REQUIRE(extract(tree, archive.bytes).has_value());
    CHECK(read_file(tree.vfs, "/spaced") == "abc");
}

TEST_CASE("tar: garbage in the mode or the magic is Corrupt", "[tar]") {
    Tree tree;
    Archive archive;
    archive.add("bad-mode", '0', "x").end();
    std::memcpy(archive.bytes.data() + 100, "06x4", 4);
    // Recompute the checksum so only the mode is wrong.
    long sum = 0;
    for (int i = 0; i < 512; ++i)
        sum += (i >= 148 && i < 156) ? ' ' : archive.bytes[i];
    std::snprintf(reinterpret_cast<char*>(archive.bytes.data()) + 148, 8, "%06lo", sum);
    CHECK(error_of(extract(tree, archive.bytes)) == Error::Corrupt);

    Archive v7;
    v7.add("old", '0', "x").end();
    std::memcpy(v7.bytes.data() + 257, "ustaR", 5);
    CHECK(error_of(extract(tree, v7.bytes)) == Error::Corrupt);
    CHECK_FALSE(exists(tree.vfs, "/old"));
}

TEST_CASE("tar: names cannot escape the target", "[tar]") {
    Tree tree;
    for (const char* name : {"../escape", "a/../../escape", "a/b/..", ".."}) {
        Archive archive;
        archive.add(name, '0', "x").end();
        INFO(name);
        CHECK(error_of(extract(tree, archive.bytes)) == Error::Corrupt);
    }
    Archive prefixed;
    Archive::Options options;
    options.prefix = "../..";
    prefixed.add("escape", '0', "x", options).end();
    CHECK(error_of(extract(tree, prefixed.bytes)) == Error::Corrupt);
    CHECK_FALSE(exists(tree.vfs, "/escape"));

    // An absolute name is taken relative to the target; "." components vanish.
    Archive absolute;
    absolute.add("/etc/abs", '0', "abs").add("./dot/./file", '0', "dot").add("./", '5').end();
    auto summary = extract(tree, absolute.bytes);
    REQUIRE(summary.has_value());
    CHECK(read_file(tree.vfs, "/etc/abs") == "abs");
    CHECK(read_file(tree.vfs, "/dot/file") == "dot");
    // A file member with no name left is malformed.
    for (const char* name : {"", ".", "/."}) {
        Archive nameless;
        nameless.add(name, '0', "x").end();
        INFO(name);
        CHECK(error_of(extract(tree, nameless.bytes)) == Error::Corrupt);
    }
}

TEST_CASE("tar: a component too long for the file system", "[tar]") {
    Tree tree;
    Archive archive;
    archive.add(std::string(nk::abi::MAX_NAME, 'n'), '0', "x").end();
    CHECK(error_of(extract(tree, archive.bytes)) == Error::NameTooLong);
}

TEST_CASE("tar: existing files are overwritten; kind conflicts fail", "[tar]") {
    Tree tree;
    write_file(tree.vfs, "/file", "old contents that are longer");
    Archive archive;
    archive.add("file", '0', "new").add("dir/", '5').add("dir/", '5').end();
    REQUIRE(extract(tree, archive.bytes).has_value());
    CHECK(read_file(tree.vfs, "/file") == "new");

    Archive file_over_directory;
    file_over_directory.add("dir", '0', "x").end();
    CHECK(error_of(extract(tree, file_over_directory.bytes)) == Error::IsDirectory);
    Archive below_a_file;
    below_a_file.add("file/inner", '0', "x").end();
    CHECK(error_of(extract(tree, below_a_file.bytes)) == Error::NotDirectory);
}

TEST_CASE("tar: out of memory leaves no half-written file", "[tar]") {
    Tree tree;
    Archive archive;
    archive.add("dir/", '5').add("dir/file", '0', std::string(3000, 'z')).end();
    // Enough for the directory and the file's inode and entry, not its data.
    host::kmalloc_fail_after(4);
    auto result = extract(tree, archive.bytes);
    host::kmalloc_fail_never();
    CHECK(error_of(result) == Error::NoSpace);
    CHECK(exists(tree.vfs, "/dir"));
    CHECK_FALSE(exists(tree.vfs, "/dir/file"));
}

TEST_CASE("tar: the target must be a directory", "[tar]") {
    Tree tree;
    write_file(tree.vfs, "/plain", "x");
    File* file = open_file(tree.vfs, "/plain", READ);
    Archive archive;
    archive.add("f", '0', "x").end();
    {
        kernel::MutexLocker locker(tree.vfs.mutex());
        auto inode = tree.vfs.root_locked()->lookup("plain");
        REQUIRE(inode.has_value());
        auto result = extract_tar(archive.bytes.data(), archive.bytes.size(), *inode.value());
        inode.value()->unref();
        CHECK(error_of(result) == Error::NotDirectory);
    }
    file->unref();
}

TEST_CASE("tar: an archive made by the system's tar --format=ustar", "[tar]") {
    namespace stdfs = std::filesystem;
    stdfs::path work = stdfs::temp_directory_path() / ("nk_tar_test_" + std::to_string(getpid()));
    stdfs::remove_all(work);
    stdfs::create_directories(work / "root/sbin");
    stdfs::create_directories(work / "root/a_rather_long_directory_name_number_one" /
                              "a_rather_long_directory_name_number_two" /
                              "a_rather_long_directory_name_number_three");
    std::ofstream(work / "root/sbin/init") << "#!init\n";
    std::ofstream(work / "root/a_rather_long_directory_name_number_one" /
                  "a_rather_long_directory_name_number_two" /
                  "a_rather_long_directory_name_number_three" / "file_with_a_long_name.txt")
        << "long path";
    std::string big(70000, 'q');
    std::ofstream(work / "root/big.bin") << big;
    stdfs::create_symlink("sbin/init", work / "root/link");

    std::string command = "tar --format=ustar -C '" + (work / "root").string() + "' -cf '" +
                          (work / "archive.tar").string() + "' . 2>/dev/null";
    if (std::system(command.c_str()) != 0) {
        WARN("no usable tar on this machine; skipped");
        stdfs::remove_all(work);
        return;
    }
    std::ifstream input(work / "archive.tar", std::ios::binary);
    std::vector<nk::u8> bytes((std::istreambuf_iterator<char>(input)),
                              std::istreambuf_iterator<char>());
    stdfs::remove_all(work);

    Tree tree;
    auto summary = extract(tree, bytes);
    REQUIRE(summary.has_value());
    CHECK(summary.value().files == 3);
    CHECK(summary.value().skipped == 1);
    CHECK(read_file(tree.vfs, "/sbin/init") == "#!init\n");
    CHECK(read_file(tree.vfs, "/big.bin") == big);
    CHECK(read_file(tree.vfs, "/a_rather_long_directory_name_number_one/"
                              "a_rather_long_directory_name_number_two/"
                              "a_rather_long_directory_name_number_three/"
                              "file_with_a_long_name.txt") == "long path");
}
