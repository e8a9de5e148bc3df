// The parts of the module support library (nooks/support.h) that are not already the kernel's
// own libc: the C-named string functions come from libc/string.cpp and the format engine from
// libc/format.cpp, compiled a second time into every module rather than written twice.
#include <format.h>
#include <nk_string.h>
#include <nooks/support.h>

extern "C" {

size_t nk_strlcpy(char* destination, const char* source, size_t size) {
    size_t length = nk::string_length(source);
    if (size) {
        size_t copied = length < size - 1 ? length : size - 1;
        nk::copy_memory(destination, source, copied);
        destination[copied] = 0;
    }
    return length;
}

const char* nk_parse_decimal(const char* text, uint64_t limit, uint64_t* out) {
    if (*text < '0' || *text > '9')
        return nullptr;
    uint64_t value = 0;
    for (; *text >= '0' && *text <= '9'; ++text) {
        value = value * 10 + uint64_t(*text - '0');
        if (value > limit)
            return nullptr;
    }
    *out = value;
    return text;
}

int nk_vsnprintf(char* buffer, size_t size, const char* format, va_list args) {
    return nk::vformat_to_buffer(buffer, size, format, args);
}

int nk_snprintf(char* buffer, size_t size, const char* format, ...) {
    va_list args;
    va_start(args, format);
    int length = nk::vformat_to_buffer(buffer, size, format, args);
    va_end(args);
    return length;
}

} // extern "C"
