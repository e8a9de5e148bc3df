// sha256sum FILE...: the SHA-256 of each file, as coreutils prints it ("HASH  NAME"), so tests
// compare what the guest read with the host's copies.
#include <userland/lib/file_hash.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>

namespace {

int sum(const char* path) {
    user::Sha256Hex hex;
    if (auto hashed = user::sha256_file(path, hex); hashed.is_error()) {
        dprintf(2, "sha256sum: %s: %s\n", path, nk::error_string(hashed.error()));
        return 1;
    }
    printf("%s  %s\n", hex, path);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        dprintf(2, "usage: sha256sum FILE...\n");
        return 2;
    }
    int status = 0;
    for (int i = 1; i < argc; ++i)
        status |= sum(argv[i]);
    return status;
}
