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
