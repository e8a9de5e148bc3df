#include <nk_string.h>
#include <userland/lib/io.h>
#include <userland/lib/syscalls.h>

namespace user {

nk::ErrorOr write_all(int fd, const void* data, nk::usize length) {
    auto* bytes = static_cast<const char*>(data);
    while (length > 0) {
        nk::usize written = TRY(sys::write(fd, bytes, length));
        // A device that accepts nothing would otherwise spin here forever.
        if (written == 0)
            return nk::Error::IO;
        bytes += written;
        length -= written;
    }
    return {};
}

nk::ErrorOr write_string(int fd, const char* text) {
    return write_all(fd, text, nk::string_length(text));
}

nk::Result<nk::u64> copy_fd(int from, int to, CopySide* failed_side) {
    // Static rather than on the stack: programs are single threaded and the stack is small.
    static char buffer[4096];
    nk::u64 total = 0;
    for (;;) {
        auto got = sys::read(from, buffer, sizeof(buffer));
        if (got.is_error()) {
            if (failed_side)
                *failed_side = CopySide::Read;
            return got.error();
        }
        if (got.value() == 0)
            return total;
        auto put = write_all(to, buffer, got.value());
        if (put.is_error()) {
            if (failed_side)
                *failed_side = CopySide::Write;
            return put.error();
        }
        total += got.value();
    }
}

} // namespace user
