// Path normalisation (kernel/fs/path.cpp).
#include <kernel/fs/path.h>

#include <catch2/catch.hpp>
#include <string>

using kernel::fs::Path;
using nk::Error;
using nk::abi::MAX_NAME;
using nk::abi::MAX_PATH;

namespace {

std::string normalise(const char* cwd, const char* path) {
    auto result = Path::resolve(cwd, path);
    REQUIRE(result.has_value());
    return result.value().c_str();
}

Error failure(const char* cwd, const char* path) {
    auto result = Path::resolve(cwd, path);
    REQUIRE(result.is_error());
    return result.error();
}

} // namespace

TEST_CASE("path: absolute paths are normalised", "[path]") {
    CHECK(normalise("/", "/") == "/");
    CHECK(normalise("/", "/a/b/c") == "/a/b/c");
    CHECK(normalise("/", "//a///b//") == "/a/b");
    CHECK(normalise("/", "/a/./b/.") == "/a/b");
    CHECK(normalise("/", "/a/b/../c") == "/a/c");
    CHECK(normalise("/x/y", "/a") == "/a");
}

TEST_CASE("path: dot-dot at the root stays at the root", "[path]") {
    CHECK(normalise("/", "/..") == "/");
    CHECK(normalise("/", "/../../a") == "/a");
    CHECK(normalise("/a", "../../..") == "/");
    CHECK(normalise("/", "..") == "/");
}

TEST_CASE("path: relative paths are resolved against the working directory", "[path]") {
    CHECK(normalise("/home/user", "file") == "/home/user/file");
    CHECK(normalise("/home/user", "./file") == "/home/user/file");
    CHECK(normalise("/home/user", "../other/file") == "/home/other/file");
    CHECK(normalise("/home/user", ".") == "/home/user");
    CHECK(normalise("/home/user", "..") == "/home");
    CHECK(normalise("/", "a/b") == "/a/b");
    CHECK(normalise("/home/user", "a//b/") == "/home/user/a/b");
}

TEST_CASE("path: trailing slash, dot and dot-dot require a directory", "[path]") {
    CHECK_FALSE(Path::resolve("/", "/a/b").value().requires_directory());
    CHECK(Path::resolve("/", "/a/b/").value().requires_directory());
    CHECK(Path::resolve("/", "/a/b/.").value().requires_directory());
    CHECK(Path::resolve("/", "/a/b/..").value().requires_directory());
    CHECK(Path::resolve("/x", ".").value().requires_directory());
    CHECK_FALSE(Path::resolve("/x", "a.").value().requires_directory());
    CHECK_FALSE(Path::resolve("/x", "..a").value().requires_directory());
    CHECK(Path::resolve("/", "/").value().requires_directory());
}

TEST_CASE("path: empty and missing paths", "[path]") {
    CHECK(failure("/", "") == Error::NoEntry);
    CHECK(failure("/", nullptr) == Error::Invalid);
    // A relative path needs an absolute working directory.
    CHECK(failure("relative", "a") == Error::Invalid);
    CHECK(failure(nullptr, "a") == Error::Invalid);
    CHECK(normalise(nullptr, "/a") == "/a");
}

TEST_CASE("path: length limits give ENAMETOOLONG", "[path]") {
    std::string longest_name(MAX_NAME - 1, 'n');
    CHECK(normalise("/", ("/" + longest_name).c_str()) == "/" + longest_name);
    std::string too_long_name(MAX_NAME, 'n');
    CHECK(failure("/", ("/" + too_long_name).c_str()) == Error::NameTooLong);
    // Even a component that a later ".." removes must fit.
    CHECK(failure("/", ("/" + too_long_name + "/..").c_str()) == Error::NameTooLong);

    // The path text itself: MAX_PATH - 1 characters fit, MAX_PATH do not (5 * 51 = 255).
    std::string path;
    for (int i = 0; i < 5; ++i)
        path += "/" + std::string(50, char('a' + i));
    REQUIRE(path.size() == MAX_PATH - 1);
    CHECK(normalise("/", path.c_str()) == path);
    CHECK(failure("/", (path + "z").c_str()) == Error::NameTooLong);
}

TEST_CASE("path: the combined result must fit even when each part does", "[path]") {
    std::string cwd;
    while (cwd.size() + 21 <= 200)
        cwd += "/abcdefghijabcdefghi";
    std::string relative;
    while (relative.size() + 21 <= 200)
        relative += "abcdefghijabcdefghi/";
    CHECK(failure(cwd.c_str(), relative.c_str()) == Error::NameTooLong);
    // Intermediate text longer than MAX_PATH is fine when ".." brings it back.
    std::string back;
    for (std::size_t i = 0; i < relative.size() / 20; ++i)
        back += "../";
    CHECK(normalise(cwd.c_str(), (relative + back + "z").c_str()) == cwd + "/z");
}

TEST_CASE("path: parent, last name and containment", "[path]") {
    Path path = Path::resolve("/", "/a/bc/def").value();
    CHECK(std::string(path.last_name()) == "def");
    CHECK(std::string(path.parent().c_str()) == "/a/bc");
    CHECK(std::string(path.parent().parent().c_str()) == "/a");
    CHECK(std::string(path.parent().parent().parent().c_str()) == "/");
    CHECK(path.parent().parent().parent().parent().is_root());
    CHECK(std::string(Path().last_name()).empty());
    CHECK(path.length() == 9);

    Path a = Path::resolve("/", "/a").value();
    Path ab = Path::resolve("/", "/a/b").value();
    Path abc = Path::resolve("/", "/abc").value();
    CHECK(ab.is_within(a));
    CHECK(a.is_within(a));
    CHECK_FALSE(abc.is_within(a));
    CHECK_FALSE(a.is_within(ab));
    CHECK(a.is_within(Path()));
    CHECK(a == Path::resolve("/x", "../a/").value());
    CHECK_FALSE(a == abc);
}

TEST_CASE("path: components are iterated in order", "[path]") {
    Path path = Path::resolve("/", "/usr//lib/./x").value();
    char name[MAX_NAME];
    nk::usize position = 0;
    REQUIRE(path.next_component(position, name));
    CHECK(std::string(name) == "usr");
    REQUIRE(path.next_component(position, name));
    CHECK(std::string(name) == "lib");
    REQUIRE(path.next_component(position, name));
    CHECK(std::string(name) == "x");
    CHECK_FALSE(path.next_component(position, name));

    position = 0;
    CHECK_FALSE(Path().next_component(position, name));
}
