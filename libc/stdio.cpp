// The C-named <stdio.h> functions for the kernel, on top of the nk::vformat engine. Kernel only.
#include <format.h>
#include <nk_string.h>
#include <stdio.h>

namespace {

// kprintf collects output on the stack and hands the console whole chunks: one console call per
// short message keeps lines from interleaving character by character and avoids a call per piece.
struct ConsoleBuffer {
    static constexpr nk::usize capacity = 256;
    char data[capacity];
    nk::usize used = 0;

    void flush() {
        if (used > 0)
            nk_console_write(data, used);
        used = 0;
    }
};

void write_to_console(void* context, const char* data, nk::usize length) {
    auto* buffer = static_cast<ConsoleBuffer*>(context);
    if (buffer->used + length > ConsoleBuffer::capacity) {
        buffer->flush();
        // A piece that could never fit goes straight through.
        if (length > ConsoleBuffer::capacity) {
            nk_console_write(data, length);
            return;
        }
    }
    nk::copy_memory(buffer->data + buffer->used, data, length);
    buffer->used += length;
}

} // namespace

extern "C" {

int vsnprintf(char* buffer, size_t size, const char* format, va_list args) {
    return nk::vformat_to_buffer(buffer, size, format, args);
}

int snprintf(char* buffer, size_t size, const char* format, ...) {
    va_list args;
    va_start(args, format);
    int count = nk::vformat_to_buffer(buffer, size, format, args);
    va_end(args);
    return count;
}

int vkprintf(const char* format, va_list args) {
    ConsoleBuffer buffer;
    int count = nk::vformat(write_to_console, &buffer, format, args);
    buffer.flush();
    return count;
}

int kprintf(const char* format, ...) {
    va_list args;
    va_start(args, format);
    int count = vkprintf(format, args);
    va_end(args);
    return count;
}

} // extern "C"
