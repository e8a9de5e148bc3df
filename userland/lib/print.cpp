#include <format.h>
#include <nk_string.h>
#include <stdio.h>
#include <userland/lib/io.h>
#include <userland/lib/print.h>

namespace {

struct FdBuffer {
    static constexpr nk::usize capacity = 512;

    explicit FdBuffer(int target) : fd(target) {}

    int fd;
    nk::usize used = 0;
    char data[capacity];

    void flush() {
        if (used > 0)
            (void)user::write_all(fd, data, used);
        used = 0;
    }
};

void write_to_fd(void* context, const char* data, nk::usize length) {
    auto* buffer = static_cast<FdBuffer*>(context);
    if (buffer->used + length > FdBuffer::capacity) {
        buffer->flush();
        if (length > FdBuffer::capacity) {
            (void)user::write_all(buffer->fd, data, length);
            return;
        }
    }
    nk::copy_memory(buffer->data + buffer->used, data, length);
    buffer->used += length;
}

} // namespace

extern "C" {

int vdprintf(int fd, const char* format, va_list args) {
    FdBuffer buffer(fd);
    int count = nk::vformat(write_to_fd, &buffer, format, args);
    buffer.flush();
    return count;
}

int dprintf(int fd, const char* format, ...) {
    va_list args;
    va_start(args, format);
    int count = vdprintf(fd, format, args);
    va_end(args);
    return count;
}

int vprintf(const char* format, va_list args) {
    return vdprintf(user::STDOUT, format, args);
}

int printf(const char* format, ...) {
    va_list args;
    va_start(args, format);
    int count = vdprintf(user::STDOUT, format, args);
    va_end(args);
    return count;
}

int puts(const char* text) {
    return dprintf(user::STDOUT, "%s\n", text);
}

// The hook libc/stdio.cpp's kprintf writes through: in a program, "the console" is standard
// output.
void nk_console_write(const char* data, size_t length) {
    (void)user::write_all(user::STDOUT, data, length);
}

} // extern "C"
