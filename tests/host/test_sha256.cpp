// SHA-256 against FIPS 180-2's example digests and against the host's own sha256sum.
#include <catch2/catch.hpp>
#include <sha256.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::string hex_of(const void* data, size_t length, size_t piece = 0) {
    nk::Sha256 hash;
    auto* bytes = static_cast<const unsigned char*>(data);
    if (piece == 0)
        hash.update(bytes, length);
    else
        for (size_t done = 0; done < length; done += piece)
            hash.update(bytes + done, std::min(piece, length - done));
    nk::u8 digest[nk::Sha256::DIGEST_SIZE];
    hash.finish(digest);
    char hex[2 * nk::Sha256::DIGEST_SIZE + 1];
    nk::Sha256::to_hex(digest, hex);
    return hex;
}

} // namespace

TEST_CASE("sha256: the standard's examples", "[sha256]") {
    CHECK(hex_of("", 0) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex_of("abc", 3) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char* two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(hex_of(two_blocks, strlen(two_blocks)) ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    std::vector<unsigned char> million(1000000, 'a');
    CHECK(hex_of(million.data(), million.size(), 4099) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256: any split of the input gives the host's digest", "[sha256]") {
    std::vector<unsigned char> data(200003);
    unsigned state = 12345;
    for (auto& byte : data) {
        state = state * 1103515245 + 12345;
        byte = static_cast<unsigned char>(state >> 16);
    }
    char path[] = "/tmp/nk-sha256-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    FILE* file = fdopen(fd, "wb");
    REQUIRE(fwrite(data.data(), 1, data.size(), file) == data.size());
    fclose(file);
    std::string command = std::string("sha256sum ") + path;
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe);
    char expected[65] = {};
    REQUIRE(fread(expected, 1, 64, pipe) == 64);
    pclose(pipe);
    remove(path);
    for (size_t piece : {size_t(0), size_t(1), size_t(63), size_t(64), size_t(65), size_t(4096)})
        CHECK(hex_of(data.data(), data.size(), piece) == std::string(expected));
}
