// khttpd's per-worker file cache (drivers/khttpd/file_cache.h).
#include <catch2/catch.hpp>

#include <drivers/khttpd/file_cache.h>

#include <string>

using khttpd::FileCache;

namespace {

nk_file_info info(uint64_t size, uint64_t modified) {
    return nk_file_info{size, modified, NK_FILE_REGULAR, 0};
}

} // namespace

TEST_CASE("the file cache finds what it remembered, and forgets", "[http]") {
    FileCache cache;
    CHECK(cache.find("/index.html") == nullptr);
    cache.remember("/index.html", info(862, 100));
    const nk_file_info* found = cache.find("/index.html");
    REQUIRE(found != nullptr);
    CHECK(found->size == 862);
    CHECK(found->modified == 100);
    CHECK(cache.find("/index.htm") == nullptr);
    // Remembered again: updated in place, not a second entry.
    cache.remember("/index.html", info(900, 200));
    CHECK(cache.find("/index.html")->size == 900);
    cache.forget("/index.html");
    CHECK(cache.find("/index.html") == nullptr);
}

TEST_CASE("the file cache replaces its oldest entry when full", "[http]") {
    FileCache cache;
    for (unsigned i = 0; i < FileCache::ENTRIES; ++i)
        cache.remember(("/f" + std::to_string(i)).c_str(), info(i, i));
    for (unsigned i = 0; i < FileCache::ENTRIES; ++i)
        CHECK(cache.find(("/f" + std::to_string(i)).c_str())->size == i);
    cache.remember("/new", info(99, 99));
    CHECK(cache.find("/f0") == nullptr);
    CHECK(cache.find("/f1") != nullptr);
    CHECK(cache.find("/new")->size == 99);
}

TEST_CASE("the file cache does not keep a path it cannot hold whole", "[http]") {
    FileCache cache;
    std::string long_path(NK_FILE_PATH_MAX, 'a');
    cache.remember(long_path.c_str(), info(1, 1));
    CHECK(cache.find(long_path.c_str()) == nullptr);
    std::string longest(NK_FILE_PATH_MAX - 1, 'b');
    cache.remember(longest.c_str(), info(2, 2));
    REQUIRE(cache.find(longest.c_str()) != nullptr);
    CHECK(cache.find(longest.c_str())->size == 2);
}
