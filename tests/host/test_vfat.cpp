// The vfat file-system logic (drivers/vfat/fat_*.cpp) on real FAT12, FAT16 and FAT32 images
// made by mkfs.vfat, filled and checked with mtools, and checked with fsck.fat after every test
// that writes.
#include "vfat_image.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

using namespace vfat_test;

namespace {

std::string format_name(const Format& format) {
    return "FAT" + std::to_string(format.bits);
}

std::set<std::string> as_set(const std::vector<std::string>& names) {
    return std::set<std::string>(names.begin(), names.end());
}

// mdir -b lines ("::/dir/name", directories with a trailing '/') as bare names.
std::set<std::string> mtools_names(const Image& image, const std::string& dir) {
    std::string out = image.mtools("mdir", "-b " + quote("::" + dir));
    std::set<std::string> names;
    size_t start = 0;
    while (start < out.size()) {
        size_t end = out.find('\n', start);
        if (end == std::string::npos)
            end = out.size();
        std::string line = out.substr(start, end - start);
        start = end + 1;
        if (line.empty())
            continue;
        if (line.back() == '/')
            line.pop_back();
        size_t slash = line.rfind('/');
        names.insert(line.substr(slash + 1));
    }
    return names;
}

std::vector<uint8_t> mtools_read(const Image& image, const std::string& path) {
    std::string local = image.dir() + "/out.bin";
    image.mtools("mcopy", "-n " + quote("::" + path) + " " + quote(local));
    std::vector<uint8_t> data = read_local(local);
    std::remove(local.c_str());
    return data;
}

void mtools_write(const Image& image, const std::string& path, const std::vector<uint8_t>& data) {
    std::string local = image.dir() + "/in.bin";
    write_local(local, data);
    image.mtools("mcopy", quote(local) + " " + quote("::" + path));
    std::remove(local.c_str());
}

// Free bytes as mdir reports them ("66 056 704 bytes free").
uint64_t mtools_free_bytes(const Image& image) {
    std::string out = image.mtools("mdir", "::/");
    size_t at = out.find("bytes free");
    REQUIRE(at != std::string::npos);
    size_t line = out.rfind('\n', at);
    std::string digits;
    for (size_t i = line + 1; i < at; ++i) {
        if (out[i] >= '0' && out[i] <= '9')
            digits += out[i];
    }
    return std::stoull(digits);
}

void require_clean(const Image& image) {
    std::string report;
    bool clean = image.fsck_clean(&report);
    INFO(report);
    REQUIRE(clean);
}

std::string repeat(const std::string& text, size_t count) {
    std::string out;
    while (count--)
        out += text;
    return out;
}

} // namespace

TEST_CASE("vfat mounts mkfs.vfat volumes and lists and reads what mtools wrote", "[vfat]") {
    for (const Format& format : FORMATS) {
        DYNAMIC_SECTION(format_name(format)) {
            Image image(format);
            auto small = pattern(1000, 1);
            auto large = pattern(300 * 1024 + 17, 2);
            mtools_write(image, "/README.TXT", small);
            mtools_write(image, "/readme2.txt", small);
            mtools_write(image, "/A Long File Name.data", large);
            mtools_write(image, "/héllo wörld ünïcödé.txt", small);
            image.mtools("mmd", quote("::/Sub Directory"));
            mtools_write(image, "/Sub Directory/inner.bin", large);

            Mounted mounted(image);
            REQUIRE(mounted.status() == 0);
            vfat::VolumeInfo info = vfat::info(mounted.volume());
            CHECK(int(info.type) == format.bits);
            CHECK(info.bytes_per_sector == 512);

            std::vector<std::string> names;
            std::vector<nooks_fs_node> nodes;
            REQUIRE(mounted.list(ROOT, &names, &nodes) == 0);
            CHECK(as_set(names) ==
                  std::set<std::string>{"README.TXT", "readme2.txt", "A Long File Name.data",
                                        "héllo wörld ünïcödé.txt", "Sub Directory"});
            for (size_t i = 0; i < names.size(); ++i) {
                nooks_fs_node node;
                REQUIRE(mounted.lookup(ROOT, names[i], &node) == 0);
                CHECK(node.number == nodes[i].number);
                CHECK(node.type ==
                      (names[i] == "Sub Directory" ? NOOKS_FS_DIRECTORY : NOOKS_FS_FILE));
            }

            nooks_fs_node node;
            std::vector<uint8_t> data;
            REQUIRE(mounted.lookup(ROOT, "a long file name.DATA", &node) == 0);
            CHECK(node.size == large.size());
            REQUIRE(mounted.read_all(node.number, &data) == 0);
            CHECK(data == large);
            // Odd offsets and lengths, across cluster boundaries.
            REQUIRE(mounted.read(node.number, 1234, 70001, &data, 3333) == 0);
            CHECK(std::equal(data.begin(), data.end(), large.begin() + 1234));
            CHECK(data.size() == 70001);
            REQUIRE(mounted.read(node.number, large.size() - 10, 100, &data) == 0);
            CHECK(data.size() == 10);

            REQUIRE(mounted.lookup(ROOT, "HÉLLO WÖRLD ÜNÏCÖDÉ.TXT", &node) == 0);
            REQUIRE(mounted.read_all(node.number, &data) == 0);
            CHECK(data == small);
            // The 8.3 alias finds the same file.
            std::string alias = "AL~1.DAT";
            nooks_fs_node by_alias, by_name;
            REQUIRE(mounted.walk("Sub Directory/inner.bin", &by_name) == 0);
            REQUIRE(mounted.lookup(ROOT, "SUBDIR~1", &by_alias) == 0);
            REQUIRE(mounted.lookup(ROOT, "Sub Directory", &node) == 0);
            CHECK(by_alias.number == node.number);
            REQUIRE(mounted.read_all(by_name.number, &data) == 0);
            CHECK(data == large);
            CHECK(mounted.lookup(ROOT, "missing", &node) == -NK_ENOENT);
            CHECK(mounted.lookup(ROOT, "bad/name", &node) == -NK_EINVAL);
            CHECK(mounted.lookup(ROOT, "..", &node) == -NK_EINVAL);

            // Sizes and times.
            nooks_fs_node stat;
            REQUIRE(mounted.lookup(ROOT, "readme2.txt", &node) == 0);
            REQUIRE(mounted.stat(node.number, &stat) == 0);
            CHECK(stat.size == 1000);
            CHECK(stat.modified > 1600000000);

            // STATFS agrees with mtools.
            nooks_fs_usage usage;
            REQUIRE(mounted.statfs(&usage) == 0);
            CHECK(usage.block_size == info.cluster_size);
            CHECK(usage.total_blocks == info.cluster_count);
            CHECK(usage.free_blocks * usage.block_size == mtools_free_bytes(image));
            require_clean(image);
        }
    }
}

TEST_CASE("vfat writes files that mtools reads back, with long and non-ASCII names", "[vfat]") {
    for (const Format& format : FORMATS) {
        DYNAMIC_SECTION(format_name(format)) {
            Image image(format);
            std::map<std::string, std::vector<uint8_t>> files;
            files["plain.txt"] = pattern(10, 3);
            files[repeat("x", 250) + ".txt"] = pattern(5000, 4);    // 254 characters
            files[repeat("L", 255)] = pattern(513, 5);              // the longest name
            files["Ünïcödé ñame — 日本語.bin"] = pattern(70000, 6); // non-ASCII
            files["UPPER.TXT"] = pattern(1, 7);
            files["Mixed.Case.Name.tar.gz"] = pattern(0, 8);
            {
                Mounted mounted(image);
                REQUIRE(mounted.status() == 0);
                for (auto& [name, data] : files) {
                    nooks_fs_node node;
                    INFO(name);
                    REQUIRE(mounted.create(ROOT, name, &node) == 0);
                    CHECK(node.type == NOOKS_FS_FILE);
                    uint64_t transferred;
                    REQUIRE(mounted.write(node.number, 0, data, &transferred, &node) == 0);
                    CHECK(transferred == data.size());
                    CHECK(node.size == data.size());
                    CHECK(node.modified == NOW);
                }
                std::vector<std::string> names;
                REQUIRE(mounted.list(ROOT, &names) == 0);
                std::set<std::string> expected;
                for (auto& [name, data] : files)
                    expected.insert(name);
                CHECK(as_set(names) == expected);
                // A name not terminated within the request's 256 bytes is too long.
                nooks_fs_request request = {};
                request.operation = NOOKS_FS_CREATE;
                request.node = ROOT;
                std::memset(request.name, 'y', sizeof request.name);
                CHECK(mounted.perform(request) == -NK_ENAMETOOLONG);
                CHECK(mounted.create(ROOT, "plain.TXT", nullptr) == -NK_EEXIST);
                CHECK(mounted.create(ROOT, "a*b", nullptr) == -NK_EINVAL);
                CHECK(mounted.create(ROOT, "", nullptr) == -NK_EINVAL);
                CHECK(mounted.create(ROOT, std::string("tab\there"), nullptr) == -NK_EINVAL);
                // Trailing dots and spaces are dropped as Windows does.
                CHECK(mounted.create(ROOT, "plain.txt. .", nullptr) == -NK_EEXIST);
            }
            require_clean(image);
            std::set<std::string> expected;
            for (auto& [name, data] : files) {
                expected.insert(name);
                INFO(name);
                CHECK(mtools_read(image, "/" + name) == data);
            }
            CHECK(mtools_names(image, "/") == expected);
        }
    }
}

TEST_CASE("vfat builds deep trees that mtools can walk", "[vfat]") {
    for (const Format& format : FORMATS) {
        DYNAMIC_SECTION(format_name(format)) {
            Image image(format);
            std::string path;
            auto data = pattern(4000, 9);
            {
                Mounted mounted(image);
                REQUIRE(mounted.status() == 0);
                uint64_t dir = ROOT;
                for (int level = 0; level < 20; ++level) {
                    std::string name = "level " + std::to_string(level) + " directory";
                    nooks_fs_node node;
                    REQUIRE(mounted.mkdir(dir, name, &node) == 0);
                    CHECK(node.type == NOOKS_FS_DIRECTORY);
                    CHECK(mounted.mkdir(dir, name, nullptr) == -NK_EEXIST);
                    dir = node.number;
                    path += "/" + name;
                }
                nooks_fs_node file;
                REQUIRE(mounted.create(dir, "bottom.bin", &file) == 0);
                REQUIRE(mounted.write(file.number, 0, data) == 0);
                std::vector<std::string> names;
                REQUIRE(mounted.list(dir, &names) == 0);
                CHECK(names == std::vector<std::string>{"bottom.bin"});
                nooks_fs_node found;
                REQUIRE(mounted.walk(path.substr(1) + "/bottom.bin", &found) == 0);
                CHECK(found.number == file.number);
            }
            require_clean(image);
            CHECK(mtools_read(image, path + "/bottom.bin") == data);
            // mtools' own file deep down, read by us after a remount.
            auto theirs = pattern(1500, 10);
            mtools_write(image, path + "/theirs.dat", theirs);
            Mounted mounted(image);
            nooks_fs_node node;
            REQUIRE(mounted.walk(path.substr(1) + "/theirs.dat", &node) == 0);
            std::vector<uint8_t> back;
            REQUIRE(mounted.read_all(node.number, &back) == 0);
            CHECK(back == theirs);
        }
    }
}

TEST_CASE("vfat fills the gaps of a fragmented volume", "[vfat]") {
    for (const Format& format : FORMATS) {
        DYNAMIC_SECTION(format_name(format)) {
            Image image(format);
            Layout layout = layout_of(image);
            size_t chunk = layout.cluster_bytes;
            std::map<std::string, std::vector<uint8_t>> files;
            {
                Mounted mounted(image);
                REQUIRE(mounted.status() == 0);
                std::vector<nooks_fs_node> nodes(4);
                std::vector<std::string> names = {"one", "two", "three", "four"};
                for (int i = 0; i < 4; ++i)
                    REQUIRE(mounted.create(ROOT, names[i], &nodes[i]) == 0);
                // Interleaved appends: the four chains alternate cluster by cluster.
                for (int round = 0; round < 40; ++round) {
                    for (int i = 0; i < 4; ++i) {
                        auto piece = pattern(chunk, uint32_t(round * 4 + i));
                        REQUIRE(mounted.write(nodes[i].number, files[names[i]].size(), piece) == 0);
                        files[names[i]].insert(files[names[i]].end(), piece.begin(), piece.end());
                    }
                }
                REQUIRE(mounted.unlink(ROOT, "two") == 0);
                REQUIRE(mounted.unlink(ROOT, "four") == 0);
                files.erase("two");
                files.erase("four");
                nooks_fs_usage before;
                REQUIRE(mounted.statfs(&before) == 0);
                // A large file that needs the freed gaps and more.
                nooks_fs_node big;
                REQUIRE(mounted.create(ROOT, "big file", &big) == 0);
                files["big file"] = pattern(chunk * 200 + 123, 77);
                uint64_t transferred;
                REQUIRE(mounted.write(big.number, 0, files["big file"], &transferred) == 0);
                CHECK(transferred == files["big file"].size());
                nooks_fs_usage after;
                REQUIRE(mounted.statfs(&after) == 0);
                CHECK(before.free_blocks - after.free_blocks == 201);
                for (auto& [name, data] : files) {
                    nooks_fs_node node;
                    REQUIRE(mounted.lookup(ROOT, name, &node) == 0);
                    std::vector<uint8_t> back;
                    REQUIRE(mounted.read_all(node.number, &back) == 0);
                    CHECK(back == data);
                }
                // The big file's chain starts in the first gap (cluster after "one"'s first).
                nooks_fs_node node;
                REQUIRE(mounted.lookup(ROOT, "big file", &node) == 0);
            }
            require_clean(image);
            for (auto& [name, data] : files)
                CHECK(mtools_read(image, "/" + name) == data);
        }
    }
}

TEST_CASE("vfat writes what fits on a full volume and reports it", "[vfat]") {
    for (const Format& format : FORMATS) {
        if (format.bits == 32)
            continue; // 64 MiB: the FAT12 and FAT16 volumes show the same
        DYNAMIC_SECTION(format_name(format)) {
            Image image(format);
            std::vector<uint8_t> written;
            uint64_t capacity;
            {
                Mounted mounted(image);
                REQUIRE(mounted.status() == 0);
                nooks_fs_usage usage;
                REQUIRE(mounted.statfs(&usage) == 0);
                capacity = usage.free_blocks * usage.block_size;
                nooks_fs_node node;
                REQUIRE(mounted.create(ROOT, "filler", &node) == 0);
                size_t step = 1 << 20;
                for (uint32_t round = 0;; ++round) {
                    auto piece = pattern(step, round);
                    uint64_t transferred = 0;
                    nooks_fs_node state;
                    nk_status status =
                        mounted.write(node.number, written.size(), piece, &transferred, &state);
                    if (status == -NK_ENOSPC) {
                        CHECK(transferred == 0);
                        break;
                    }
                    REQUIRE(status == 0);
                    node = state;
                    written.insert(written.end(), piece.begin(), piece.begin() + long(transferred));
                    CHECK(node.size == written.size());
                    REQUIRE(round < 1000);
                }
                CHECK(written.size() == capacity);
                REQUIRE(mounted.statfs(&usage) == 0);
                CHECK(usage.free_blocks == 0);
                // No room for a file that needs a cluster; an empty one still fits the root.
                nooks_fs_node other;
                REQUIRE(mounted.create(ROOT, "empty", &other) == 0);
                uint64_t transferred = 1;
                CHECK(mounted.write(other.number, 0, pattern(10, 1), &transferred) == -NK_ENOSPC);
                CHECK(transferred == 0);
                CHECK(mounted.mkdir(ROOT, "no room", nullptr) == -NK_ENOSPC);
                CHECK(mounted.truncate(other.number, 5000) == -NK_ENOSPC);
                std::vector<uint8_t> back;
                REQUIRE(mounted.read_all(node.number, &back) == 0);
                CHECK(back == written);
            }
            require_clean(image);
            CHECK(mtools_read(image, "/filler") == written);
            CHECK(mtools_free_bytes(image) == 0);
        }
    }
}

TEST_CASE("vfat keeps hundreds of long names in one directory", "[vfat]") {
    for (const Format& format : FORMATS) {
        DYNAMIC_SECTION(format_name(format)) {
            Image image(format);
            std::set<std::string> expected;
            {
                Mounted mounted(image);
                REQUIRE(mounted.status() == 0);
                nooks_fs_node dir;
                REQUIRE(mounted.mkdir(ROOT, "many", &dir) == 0);
                for (int i = 0; i < 500; ++i) {
                    std::string name =
                        "A rather long file name number " + std::to_string(i) + ".text";
                    nooks_fs_node node;
                    REQUIRE(mounted.create(dir.number, name, &node) == 0);
                    REQUIRE(mounted.write(node.number, 0, pattern(size_t(i), uint32_t(i))) == 0);
                    expected.insert(name);
                }
                // The whole listing in one pass reads each directory block about once.
                uint64_t reads = mounted.reads;
                std::vector<std::string> names;
                REQUIRE(mounted.list(dir.number, &names) == 0);
                CHECK(names.size() == 500);
                CHECK(as_set(names) == expected);
                CHECK(mounted.reads - reads < 200);
                for (int i = 0; i < 500; i += 2) {
                    std::string name =
                        "A rather long file name number " + std::to_string(i) + ".text";
                    REQUIRE(mounted.unlink(dir.number, name) == 0);
                    expected.erase(name);
                }
                REQUIRE(mounted.list(dir.number, &names) == 0);
                CHECK(as_set(names) == expected);
                nooks_fs_node node;
                REQUIRE(mounted.lookup(dir.number, "a rather long FILE name number 301.TEXT",
                                       &node) == 0);
                std::vector<uint8_t> back;
                REQUIRE(mounted.read_all(node.number, &back) == 0);
                CHECK(back == pattern(301, 301));
                CHECK(mounted.rmdir(ROOT, "many") == -NK_ENOTEMPTY);
            }
            require_clean(image);
            CHECK(mtools_names(image, "/many") == expected);
        }
    }
}

TEST_CASE("vfat creates, removes and renames files and directories", "[vfat]") {
    for (const Format& format : FORMATS) {
        DYNAMIC_SECTION(format_name(format)) {
            Image image(format);
            {
                Mounted mounted(image);
                REQUIRE(mounted.status() == 0);
                nooks_fs_node a, b, file, other, moved;
                REQUIRE(mounted.mkdir(ROOT, "dir a", &a) == 0);
                REQUIRE(mounted.mkdir(ROOT, "dir b", &b) == 0);
                REQUIRE(mounted.create(a.number, "file.txt", &file) == 0);
                REQUIRE(mounted.write(file.number, 0, pattern(3000, 1)) == 0);
                REQUIRE(mounted.create(b.number, "victim.txt", &other) == 0);
                REQUIRE(mounted.write(other.number, 0, pattern(9000, 2)) == 0);

                CHECK(mounted.unlink(ROOT, "dir a") == -NK_EISDIR);
                CHECK(mounted.rmdir(a.number, "file.txt") == -NK_ENOTDIR);
                CHECK(mounted.rmdir(ROOT, "dir a") == -NK_ENOTEMPTY);
                CHECK(mounted.unlink(ROOT, "nothing") == -NK_ENOENT);
                CHECK(mounted.create(file.number, "x", nullptr) == -NK_ENOTDIR);

                // Within a directory, to a new name and to another case of the same name.
                REQUIRE(mounted.rename(a.number, "file.txt", a.number, "renamed file.txt",
                                       &moved) == 0);
                CHECK(mounted.lookup(a.number, "file.txt", nullptr) == -NK_ENOENT);
                CHECK(moved.size == 3000);
                REQUIRE(mounted.rename(a.number, "renamed file.txt", a.number, "RENAMED FILE.TXT",
                                       &moved) == 0);
                std::vector<std::string> names;
                REQUIRE(mounted.list(a.number, &names) == 0);
                CHECK(names == std::vector<std::string>{"RENAMED FILE.TXT"});
                // Across directories, over an existing file (its clusters are freed).
                nooks_fs_usage before, after;
                REQUIRE(mounted.statfs(&before) == 0);
                REQUIRE(mounted.rename(a.number, "renamed file.txt", b.number, "victim.txt",
                                       &moved) == 0);
                REQUIRE(mounted.statfs(&after) == 0);
                CHECK(after.free_blocks > before.free_blocks);
                std::vector<uint8_t> back;
                REQUIRE(mounted.read_all(moved.number, &back) == 0);
                CHECK(back == pattern(3000, 1));
                REQUIRE(mounted.list(b.number, &names) == 0);
                CHECK(names == std::vector<std::string>{"victim.txt"});
                // Type mismatches and non-empty targets.
                nooks_fs_node sub;
                REQUIRE(mounted.mkdir(a.number, "sub", &sub) == 0);
                REQUIRE(mounted.create(sub.number, "deep file", nullptr) == 0);
                CHECK(mounted.rename(a.number, "sub", b.number, "victim.txt") == -NK_ENOTDIR);
                CHECK(mounted.rename(b.number, "victim.txt", a.number, "sub") == -NK_EISDIR);
                REQUIRE(mounted.mkdir(b.number, "full", nullptr) == 0);
                nooks_fs_node full;
                REQUIRE(mounted.lookup(b.number, "full", &full) == 0);
                REQUIRE(mounted.create(full.number, "x", nullptr) == 0);
                CHECK(mounted.rename(a.number, "sub", b.number, "full") == -NK_ENOTEMPTY);
                // Not into itself or its subtree.
                CHECK(mounted.rename(ROOT, "dir a", a.number, "inside") == -NK_EINVAL);
                CHECK(mounted.rename(ROOT, "dir a", sub.number, "inside") == -NK_EINVAL);
                // A directory moves: its ".." follows.
                REQUIRE(mounted.rename(a.number, "sub", b.number, "moved sub", &moved) == 0);
                CHECK(moved.type == NOOKS_FS_DIRECTORY);
                REQUIRE(mounted.lookup(b.number, "moved sub", &sub) == 0);
                REQUIRE(mounted.list(sub.number, &names) == 0);
                CHECK(names == std::vector<std::string>{"deep file"});
                // ... and to the root (".." becomes cluster 0).
                REQUIRE(mounted.rename(b.number, "moved sub", ROOT, "top", &moved) == 0);
                // Over an empty directory.
                REQUIRE(mounted.mkdir(ROOT, "empty", nullptr) == 0);
                REQUIRE(mounted.rename(b.number, "full", ROOT, "empty") == 0);
                REQUIRE(mounted.rmdir(a.number, "nope") == -NK_ENOENT);
                REQUIRE(mounted.rmdir(ROOT, "dir a") == 0);
                CHECK(mounted.lookup(ROOT, "dir a", nullptr) == -NK_ENOENT);
                REQUIRE(mounted.list(ROOT, &names) == 0);
                CHECK(as_set(names) == std::set<std::string>{"dir b", "top", "empty"});
            }
            require_clean(image);
            CHECK(mtools_names(image, "/") == std::set<std::string>{"dir b", "top", "empty"});
            CHECK(mtools_names(image, "/top") == std::set<std::string>{"deep file"});
            CHECK(mtools_names(image, "/empty") == std::set<std::string>{"x"});
            CHECK(mtools_read(image, "/dir b/victim.txt") == pattern(3000, 1));
            // mtools follows ".." from the moved directory back to the root.
            CHECK(image.mtools("mdir", quote("::/top/..")).find("dir b") != std::string::npos);
        }
    }
}

TEST_CASE("vfat truncates and writes past the end with zeros in between", "[vfat]") {
    for (const Format& format : FORMATS) {
        DYNAMIC_SECTION(format_name(format)) {
            Image image(format);
            std::vector<uint8_t> expected;
            {
                Mounted mounted(image);
                REQUIRE(mounted.status() == 0);
                nooks_fs_node node;
                REQUIRE(mounted.create(ROOT, "sparse.bin", &node) == 0);
                // A write far past the end: the gap reads as zeros.
                auto tail = pattern(777, 3);
                REQUIRE(mounted.write(node.number, 100000, tail, nullptr, &node) == 0);
                CHECK(node.size == 100777);
                expected.assign(100000, 0);
                expected.insert(expected.end(), tail.begin(), tail.end());
                // Overwrite in the middle, unaligned.
                auto middle = pattern(5000, 4);
                REQUIRE(mounted.write(node.number, 333, middle) == 0);
                std::copy(middle.begin(), middle.end(), expected.begin() + 333);
                std::vector<uint8_t> back;
                REQUIRE(mounted.read_all(node.number, &back) == 0);
                CHECK(back == expected);
                // Shrink, then grow: the grown part is zeros, not the old bytes.
                REQUIRE(mounted.truncate(node.number, 1000) == 0);
                REQUIRE(mounted.stat(node.number, &node) == 0);
                CHECK(node.size == 1000);
                REQUIRE(mounted.truncate(node.number, 50000) == 0);
                expected.resize(1000);
                expected.resize(50000, 0);
                REQUIRE(mounted.read_all(node.number, &back) == 0);
                CHECK(back == expected);
                // To zero and back.
                REQUIRE(mounted.truncate(node.number, 0) == 0);
                REQUIRE(mounted.stat(node.number, &node) == 0);
                CHECK(node.size == 0);
                REQUIRE(mounted.write(node.number, 10, pattern(5, 5)) == 0);
                expected.assign(10, 0);
                auto five = pattern(5, 5);
                expected.insert(expected.end(), five.begin(), five.end());
                REQUIRE(mounted.read_all(node.number, &back) == 0);
                CHECK(back == expected);
                // Reads past the end give nothing.
                REQUIRE(mounted.read(node.number, 15, 10, &back) == 0);
                CHECK(back.empty());
                nooks_fs_node dir;
                REQUIRE(mounted.mkdir(ROOT, "d", &dir) == 0);
                CHECK(mounted.truncate(dir.number, 0) == -NK_EISDIR);
                CHECK(mounted.write(dir.number, 0, five) == -NK_EISDIR);
            }
            require_clean(image);
            CHECK(mtools_read(image, "/sparse.bin") == expected);
        }
    }
}

TEST_CASE("vfat makes 8.3 aliases the way Windows does", "[vfat]") {
    for (const Format& format : FORMATS) {
        DYNAMIC_SECTION(format_name(format)) {
            Image image(format);
            {
                Mounted mounted(image);
                REQUIRE(mounted.status() == 0);
                for (const char* name :
                     {"Long File Name.txt", "Long File Name 2.txt", "Long File Name 3.txt",
                      "readme.txt", "README2.TXT", "Mixed.Txt", "a+b.c", ".hidden", "résumé.doc"})
                    REQUIRE(mounted.create(ROOT, name, nullptr) == 0);
                CHECK(mounted.create(ROOT, "LONGFI~1.TXT", nullptr) == -NK_EEXIST);
                CHECK(mounted.create(ROOT, "README.TXT", nullptr) == -NK_EEXIST);
                nooks_fs_node a, b;
                REQUIRE(mounted.lookup(ROOT, "longfi~2.txt", &a) == 0);
                REQUIRE(mounted.lookup(ROOT, "Long File Name 2.txt", &b) == 0);
                CHECK(a.number == b.number);
            }
            require_clean(image);
            std::string listing = image.mtools("mdir", "::/");
            INFO(listing);
            CHECK(listing.find("LONGFI~1 TXT         0") != std::string::npos);
            CHECK(listing.find("LONGFI~2 TXT         0") != std::string::npos);
            CHECK(listing.find("LONGFI~3 TXT         0") != std::string::npos);
            CHECK(listing.find("Long File Name 2.txt") != std::string::npos);
            CHECK(listing.find("MIXED    TXT         0") != std::string::npos);
            CHECK(listing.find("A_B~1    C ") != std::string::npos);
            CHECK(listing.find("HIDDEN~1") != std::string::npos);
            CHECK(listing.find("R_SUM_~1 DOC") != std::string::npos);
            // An upper-case 8.3 name has no long entries; a lower-case one uses the NT case
            // bits (mtools shows it in lower case, with no long name after it).
            CHECK(listing.find("README2  TXT         0 2023-11-14  22:13 \n") != std::string::npos);
            CHECK(listing.find("readme   txt         0 2023-11-14  22:13 \n") != std::string::npos);
            CHECK(mtools_names(image, "/") ==
                  std::set<std::string>{"Long File Name.txt", "Long File Name 2.txt",
                                        "Long File Name 3.txt", "readme.txt", "README2.TXT",
                                        "Mixed.Txt", "a+b.c", ".hidden", "résumé.doc"});
        }
    }
}
