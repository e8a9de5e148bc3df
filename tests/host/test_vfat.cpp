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

namespace {

// The byte offset of a node's short entry in the image.
uint64_t entry_offset(const nooks_fs_node& node) {
    return (node.number - 2) * 32;
}

uint32_t first_cluster_of(const Image& image, const Layout& layout, const nooks_fs_node& node) {
    uint8_t raw[32];
    image.peek(entry_offset(node), raw, sizeof raw);
    uint32_t high = layout.bits == 32 ? uint32_t(raw[20] | (raw[21] << 8)) : 0;
    return (high << 16) | uint32_t(raw[26] | (raw[27] << 8));
}

void put16(const Image& image, uint64_t offset, uint16_t value) {
    uint8_t b[2] = {uint8_t(value), uint8_t(value >> 8)};
    image.poke(offset, b, 2);
}

void put32(const Image& image, uint64_t offset, uint32_t value) {
    uint8_t b[4];
    for (int i = 0; i < 4; ++i)
        b[i] = uint8_t(value >> (8 * i));
    image.poke(offset, b, 4);
}

nooks_fs_node lookup_node(const Image& image, const std::string& path) {
    Mounted mounted(image);
    REQUIRE(mounted.status() == 0);
    nooks_fs_node node;
    REQUIRE(mounted.walk(path, &node) == 0);
    return node;
}

// Runs `operation` on a freshly mounted volume and checks that it fails with `expected` and
// leaves every byte of the image as it was.
template <typename Operation>
void fails_cleanly(const Image& image, nk_status expected, Operation operation) {
    auto before = image.bytes();
    {
        Mounted mounted(image);
        REQUIRE(mounted.status() == 0);
        CHECK(operation(mounted) == expected);
    }
    CHECK(image.bytes() == before);
}

} // namespace

TEST_CASE("vfat refuses boot sectors it cannot trust", "[vfat]") {
    struct Damage {
        const char* what;
        int bits;
        uint64_t offset;
        uint32_t value;
        int width;
    };
    const Damage damages[] = {
        {"bytes per sector not a power of two", 16, 11, 1000, 2},
        {"bytes per sector 256", 16, 11, 256, 2},
        {"bytes per sector unlike the device's", 16, 11, 1024, 2},
        {"zero sectors per cluster", 16, 13, 0, 1},
        {"three sectors per cluster", 16, 13, 3, 1},
        {"no root directory entries on FAT16", 16, 17, 0, 2},
        {"no reserved sector", 16, 14, 0, 2},
        {"no FAT", 16, 16, 0, 1},
        {"more sectors than the device", 16, 32, 65536 * 2, 4},
        {"FAT12 total past the device", 12, 19, 9000, 2},
        {"a FAT too small for the clusters", 16, 22, 1, 2},
        {"no boot signature", 16, 510, 0, 2},
        {"no jump", 16, 0, 0, 1},
        {"FAT32 root cluster 0", 32, 44, 0, 4},
        {"FAT32 root cluster past the end", 32, 44, 0x0FFFFF00, 4},
        {"FAT32 version 1", 32, 42, 1, 2},
        {"FAT32 with a FAT16 FAT size", 32, 22, 100, 2},
    };
    for (const Damage& damage : damages) {
        DYNAMIC_SECTION(damage.what) {
            const Format& format = damage.bits == 12   ? FORMATS[0]
                                   : damage.bits == 16 ? FORMATS[1]
                                                       : FORMATS[2];
            Image image(format);
            if (damage.width == 1) {
                uint8_t b = uint8_t(damage.value);
                image.poke(damage.offset, &b, 1);
            } else if (damage.width == 2) {
                put16(image, damage.offset, uint16_t(damage.value));
            } else {
                put32(image, damage.offset, damage.value);
            }
            auto before = image.bytes();
            {
                Mounted mounted(image);
                CHECK(mounted.status() == -NK_EINVAL);
                CHECK(mounted.volume() == nullptr);
            }
            CHECK(image.bytes() == before);
        }
    }
    SECTION("a device sector size unlike the volume's") {
        Image image(FORMATS[1]);
        Mounted mounted(image, 4096);
        CHECK(mounted.status() == -NK_EINVAL);
    }
}

TEST_CASE("vfat gives clean errors for damaged chains and entries", "[vfat]") {
    for (const Format& format : FORMATS) {
        DYNAMIC_SECTION(format_name(format)) {
            Image image(format);
            Layout layout = layout_of(image);
            uint32_t cluster = layout.cluster_bytes;
            mtools_write(image, "/looping.bin", pattern(cluster * 5, 1));
            mtools_write(image, "/past end.bin", pattern(cluster * 3, 2));
            mtools_write(image, "/bad first.bin", pattern(cluster * 2, 3));
            mtools_write(image, "/too big.bin", pattern(100, 4));
            mtools_write(image, "/fine.bin", pattern(cluster * 2 + 5, 5));
            image.mtools("mmd", quote("::/bad dir"));
            image.mtools("mmd", quote("::/looping dir"));
            for (int i = 0; i < 40; ++i)
                mtools_write(image, "/looping dir/f" + std::to_string(i), pattern(1, 0));

            // A chain that comes back to its start.
            nooks_fs_node looping = lookup_node(image, "looping.bin");
            uint32_t first = first_cluster_of(image, layout, looping);
            uint32_t second = fat_entry(image, layout, first);
            uint32_t third = fat_entry(image, layout, second);
            set_fat_entry(image, layout, third, first);
            // A link to a cluster past the last one.
            nooks_fs_node past = lookup_node(image, "past end.bin");
            uint32_t past_first = first_cluster_of(image, layout, past);
            uint32_t beyond = layout.bits == 12 ? 0xFF0 : layout.bits == 16 ? 0xFFF0 : 0x0FFFFFF0;
            set_fat_entry(image, layout, past_first, beyond);
            // Entries whose first cluster is outside the volume.
            nooks_fs_node bad_first = lookup_node(image, "bad first.bin");
            put16(image, entry_offset(bad_first) + 26, 0xFFF0);
            if (layout.bits == 32)
                put16(image, entry_offset(bad_first) + 20, 0x0FFF);
            nooks_fs_node bad_dir = lookup_node(image, "bad dir");
            put16(image, entry_offset(bad_dir) + 26, 0xFFF0);
            if (layout.bits == 32)
                put16(image, entry_offset(bad_dir) + 20, 0x0FFF);
            // A size of ten clusters on a one-cluster chain.
            nooks_fs_node too_big = lookup_node(image, "too big.bin");
            put32(image, entry_offset(too_big) + 28, cluster * 10);
            // A directory chain that loops.
            nooks_fs_node looping_dir = lookup_node(image, "looping dir");
            uint32_t dir_first = first_cluster_of(image, layout, looping_dir);
            uint32_t dir_last = dir_first;
            for (int i = 0; i < 100; ++i) {
                uint32_t next = fat_entry(image, layout, dir_last);
                if (next >= (layout.bits == 12   ? 0xFF8u
                             : layout.bits == 16 ? 0xFFF8u
                                                 : 0x0FFFFFF8u))
                    break;
                dir_last = next;
            }
            set_fat_entry(image, layout, dir_last, dir_first);

            std::vector<uint8_t> data(cluster * 10);
            auto reading = [&](uint64_t node, uint64_t offset) {
                return [&, node, offset](Mounted& mounted) {
                    nooks_fs_request request = {};
                    request.operation = NOOKS_FS_READ;
                    request.node = node;
                    request.offset = offset;
                    request.length = data.size();
                    request.buffer = data.data();
                    return mounted.perform(request);
                };
            };
            auto writing = [&](uint64_t node) {
                return [node](Mounted& mounted) { return mounted.write(node, 0, pattern(10, 1)); };
            };
            auto truncating = [&](uint64_t node) {
                return [node](Mounted& mounted) { return mounted.truncate(node, 1); };
            };
            auto unlinking = [&](const char* name) {
                return [name](Mounted& mounted) { return mounted.unlink(ROOT, name); };
            };
            for (uint64_t node : {looping.number, past.number, bad_first.number}) {
                INFO(node);
                fails_cleanly(image, -NK_EIO, reading(node, 0));
                fails_cleanly(image, -NK_EIO, writing(node));
                fails_cleanly(image, -NK_EIO, truncating(node));
            }
            fails_cleanly(image, -NK_EIO, unlinking("looping.bin"));
            fails_cleanly(image, -NK_EIO, unlinking("past end.bin"));
            fails_cleanly(image, -NK_EIO, unlinking("bad first.bin"));
            // Replacing a damaged file by a rename: refused before anything changes.
            fails_cleanly(image, -NK_EIO, [](Mounted& mounted) {
                return mounted.rename(ROOT, "fine.bin", ROOT, "looping.bin");
            });
            // The chain too short for the size: reads stop at its end, writes are refused.
            {
                Mounted mounted(image);
                REQUIRE(mounted.status() == 0);
                std::vector<uint8_t> back;
                REQUIRE(mounted.read(too_big.number, 0, cluster * 10, &back) == 0);
                CHECK(back.size() == cluster);
                CHECK(std::equal(back.begin(), back.begin() + 100, pattern(100, 4).begin()));
            }
            fails_cleanly(image, -NK_EIO, reading(too_big.number, cluster * 3));
            fails_cleanly(image, -NK_EIO, writing(too_big.number));
            fails_cleanly(image, -NK_EIO, truncating(too_big.number));
            // Directories that point outside or loop.
            for (const char* name : {"bad dir", "looping dir"}) {
                INFO(name);
                nooks_fs_node dir = lookup_node(image, name);
                fails_cleanly(image, -NK_EIO, [&](Mounted& mounted) {
                    std::vector<std::string> names;
                    return mounted.list(dir.number, &names);
                });
                fails_cleanly(image, -NK_EIO, [&](Mounted& mounted) {
                    return mounted.create(dir.number, "new", nullptr);
                });
                fails_cleanly(image, -NK_EIO, [&](Mounted& mounted) {
                    return mounted.lookup(dir.number, "f1", nullptr);
                });
                fails_cleanly(image, -NK_EIO,
                              [&](Mounted& mounted) { return mounted.rmdir(ROOT, name); });
                fails_cleanly(image, -NK_EIO, [&](Mounted& mounted) {
                    return mounted.rename(ROOT, "fine.bin", dir.number, "moved");
                });
            }
            // The rest of the volume still works.
            Mounted mounted(image);
            REQUIRE(mounted.status() == 0);
            std::vector<std::string> names;
            REQUIRE(mounted.list(ROOT, &names) == 0);
            CHECK(names.size() == 7);
            nooks_fs_node fine;
            REQUIRE(mounted.lookup(ROOT, "fine.bin", &fine) == 0);
            std::vector<uint8_t> back;
            REQUIRE(mounted.read_all(fine.number, &back) == 0);
            CHECK(back == pattern(cluster * 2 + 5, 5));
            REQUIRE(mounted.create(ROOT, "new file", &fine) == 0);
            REQUIRE(mounted.write(fine.number, 0, pattern(cluster * 3, 6)) == 0);
            REQUIRE(mounted.read_all(fine.number, &back) == 0);
            CHECK(back == pattern(cluster * 3, 6));
        }
    }
}

TEST_CASE("vfat ignores long-name entries that do not belong to their short entry", "[vfat]") {
    for (const Format& format : FORMATS) {
        DYNAMIC_SECTION(format_name(format)) {
            Image image(format);
            mtools_write(image, "/A Long Name With Bad Sum.txt", pattern(10, 1));
            mtools_write(image, "/An Orphaned Long Name.txt", pattern(20, 2));
            mtools_write(image, "/Out Of Order Long Name Entries.txt", pattern(30, 3));
            nooks_fs_node bad_sum = lookup_node(image, "A Long Name With Bad Sum.txt");
            nooks_fs_node orphan = lookup_node(image, "An Orphaned Long Name.txt");
            nooks_fs_node order = lookup_node(image, "Out Of Order Long Name Entries.txt");
            // The long entry just before the short entry: its checksum byte changed.
            uint8_t sum;
            image.peek(entry_offset(bad_sum) - 32 + 13, &sum, 1);
            sum = uint8_t(sum + 1);
            image.poke(entry_offset(bad_sum) - 32 + 13, &sum, 1);
            // The short entry deleted: its long entries are orphans.
            uint8_t deleted = 0xE5;
            image.poke(entry_offset(orphan), &deleted, 1);
            // The order numbers of a set swapped.
            uint8_t first_order, second_order;
            image.peek(entry_offset(order) - 32, &first_order, 1);
            image.peek(entry_offset(order) - 64, &second_order, 1);
            image.poke(entry_offset(order) - 32, &second_order, 1);
            image.poke(entry_offset(order) - 64, &first_order, 1);

            Mounted mounted(image);
            REQUIRE(mounted.status() == 0);
            std::vector<std::string> names;
            REQUIRE(mounted.list(ROOT, &names) == 0);
            CHECK(as_set(names) == std::set<std::string>{"ALONGN~1.TXT", "OUTOFO~1.TXT"});
            CHECK(mounted.lookup(ROOT, "A Long Name With Bad Sum.txt", nullptr) == -NK_ENOENT);
            CHECK(mounted.lookup(ROOT, "An Orphaned Long Name.txt", nullptr) == -NK_ENOENT);
            nooks_fs_node node;
            REQUIRE(mounted.lookup(ROOT, "alongn~1.txt", &node) == 0);
            std::vector<uint8_t> back;
            REQUIRE(mounted.read_all(node.number, &back) == 0);
            CHECK(back == pattern(10, 1));
            // New names still go in (past the damaged entries, which stay as they are).
            REQUIRE(mounted.create(ROOT, "A Long Name With Bad Sum.txt", &node) == 0);
            REQUIRE(mounted.list(ROOT, &names) == 0);
            CHECK(names.size() == 3);
        }
    }
}

TEST_CASE("vfat reads and writes large files in few device calls", "[vfat]") {
    // FAT32 with 512-byte clusters: the most FAT traffic per byte.
    Image image(FORMATS[2]);
    const size_t size = 16u << 20;
    const size_t chunk = 64u << 10;
    auto data = pattern(size, 42);
    {
        Mounted mounted(image);
        REQUIRE(mounted.status() == 0);
        nooks_fs_node node;
        REQUIRE(mounted.create(ROOT, "big.bin", &node) == 0);
        uint64_t writes = mounted.writes;
        uint64_t reads = mounted.reads;
        for (size_t offset = 0; offset < size; offset += chunk) {
            std::vector<uint8_t> piece(data.begin() + long(offset),
                                       data.begin() + long(offset + chunk));
            REQUIRE(mounted.write(node.number, offset, piece) == 0);
        }
        uint64_t requests = size / chunk;
        INFO("writes " << mounted.writes - writes << " reads " << mounted.reads - reads);
        // Per request: the data, the FAT block in two copies, FSInfo and the entry.
        CHECK(mounted.writes - writes <= requests * 6 + 64);
        CHECK(mounted.reads - reads <= 64);
    }
    require_clean(image);
    Mounted mounted(image);
    REQUIRE(mounted.status() == 0);
    nooks_fs_node node;
    REQUIRE(mounted.lookup(ROOT, "big.bin", &node) == 0);
    uint64_t reads = mounted.reads;
    std::vector<uint8_t> back;
    REQUIRE(mounted.read(node.number, 0, size, &back, chunk) == 0);
    INFO("reads " << mounted.reads - reads);
    // One call per request for the data, plus the FAT blocks (128 KiB of FAT in 8 KiB blocks,
    // read once to check the chain, once more as the reads go along).
    CHECK(mounted.reads - reads <= size / chunk + 40);
    CHECK(mounted.writes == 0);
    CHECK(back == data);
}

TEST_CASE("vfat keeps the FAT32 FSInfo sector right, and leaves an invalid one alone", "[vfat]") {
    Image image(FORMATS[2]);
    auto fsinfo_free = [&] {
        uint8_t b[4];
        image.peek(512 + 488, b, 4);
        return uint32_t(b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24));
    };
    {
        Mounted mounted(image);
        REQUIRE(mounted.status() == 0);
        nooks_fs_node node;
        REQUIRE(mounted.create(ROOT, "f", &node) == 0);
        REQUIRE(mounted.write(node.number, 0, pattern(100000, 1)) == 0);
        nooks_fs_usage usage;
        REQUIRE(mounted.statfs(&usage) == 0);
        CHECK(fsinfo_free() == usage.free_blocks);
        REQUIRE(mounted.unlink(ROOT, "f") == 0);
        REQUIRE(mounted.statfs(&usage) == 0);
        CHECK(fsinfo_free() == usage.free_blocks);
    }
    require_clean(image);
    put32(image, 512, 0x12345678); // lead signature
    uint8_t sector[512];
    image.peek(512, sector, sizeof sector);
    {
        Mounted mounted(image);
        REQUIRE(mounted.status() == 0);
        nooks_fs_node node;
        REQUIRE(mounted.create(ROOT, "g", &node) == 0);
        REQUIRE(mounted.write(node.number, 0, pattern(100000, 1)) == 0);
    }
    uint8_t after[512];
    image.peek(512, after, sizeof after);
    CHECK(std::memcmp(sector, after, sizeof sector) == 0);
}

TEST_CASE("vfat answers READ and WRITE with data maps the kernel can apply", "[vfat]") {
    for (const Format& format : FORMATS) {
        DYNAMIC_SECTION(format_name(format)) {
            Image image(format);
            Layout layout = layout_of(image);
            // Pieces that straddle sectors and clusters, appended in turn to three files so
            // their chains interleave: more runs than one map holds.
            size_t piece_bytes = layout.cluster_bytes + 300;
            std::vector<std::string> names = {"alpha.bin", "beta.bin", "gamma with a long name"};
            std::map<std::string, std::vector<uint8_t>> files;
            uint64_t most_runs = 0;
            {
                Mounted mounted(image);
                REQUIRE(mounted.status() == 0);
                mounted.mapped = true;
                std::vector<nooks_fs_node> nodes(names.size());
                for (size_t i = 0; i < names.size(); ++i)
                    REQUIRE(mounted.create(ROOT, names[i], &nodes[i]) == 0);
                for (int round = 0; round < 24; ++round) {
                    for (size_t i = 0; i < names.size(); ++i) {
                        auto piece = pattern(piece_bytes, uint32_t(round * 3 + i));
                        uint64_t wrote = 0;
                        REQUIRE(mounted.write(nodes[i].number, files[names[i]].size(), piece,
                                              &wrote) == 0);
                        REQUIRE(wrote == piece.size());
                        files[names[i]].insert(files[names[i]].end(), piece.begin(), piece.end());
                    }
                }
                // One overwrite across the whole fragmented file from an odd offset: the map
                // fills, the request ends short, and the rest follows in the next ones.
                std::vector<uint8_t>& alpha = files["alpha.bin"];
                auto over = pattern(alpha.size() - 777, 99);
                uint64_t wrote = 0;
                REQUIRE(mounted.write(nodes[0].number, 777, over, &wrote) == 0);
                CHECK(wrote == over.size());
                std::copy(over.begin(), over.end(), alpha.begin() + 777);
                // Past the end: the gap reads as zeros, the data after it as written.
                std::vector<uint8_t>& beta = files["beta.bin"];
                auto tail = pattern(5000, 7);
                uint64_t gap_at = beta.size() + 1234;
                REQUIRE(mounted.write(nodes[1].number, gap_at, tail, &wrote) == 0);
                CHECK(wrote == tail.size());
                beta.resize(gap_at, 0);
                beta.insert(beta.end(), tail.begin(), tail.end());
                for (size_t i = 0; i < names.size(); ++i) {
                    std::vector<uint8_t> back;
                    REQUIRE(mounted.read(nodes[i].number, 0, 1u << 24, &back, 1u << 20) == 0);
                    CHECK(back == files[names[i]]);
                    // The same bytes when the file system moves them itself.
                    mounted.mapped = false;
                    REQUIRE(mounted.read(nodes[i].number, 0, 1u << 24, &back, 1u << 20) == 0);
                    CHECK(back == files[names[i]]);
                    mounted.mapped = true;
                }
                most_runs = mounted.most_runs;
            }
            CHECK(most_runs == NOOKS_FS_DATA_EXTENTS_MAX);
            require_clean(image);
            for (auto& [name, data] : files)
                CHECK(mtools_read(image, "/" + name) == data);
        }
    }
}
