#include <userland/lib/file_hash.h>
#include <userland/lib/syscalls.h>

namespace user {

namespace {
constexpr nk::usize CHUNK = 64 * 1024;
char g_buffer[CHUNK];
} // namespace

nk::ErrorOr sha256_file(const char* path, Sha256Hex& hex) {
    int fd = TRY(sys::open(path, nk::abi::O_RDONLY));
    nk::Sha256 hash;
    for (;;) {
        auto got = sys::read(fd, g_buffer, CHUNK);
        if (got.is_error()) {
            (void)sys::close(fd);
            return got.error();
        }
        if (got.value() == 0)
            break;
        hash.update(g_buffer, got.value());
    }
    (void)sys::close(fd);
    nk::u8 digest[nk::Sha256::DIGEST_SIZE];
    hash.finish(digest);
    nk::Sha256::to_hex(digest, hex);
    return {};
}

} // namespace user
