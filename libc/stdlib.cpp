// The C-named <stdlib.h> functions for the kernel: thin wrappers over nk_stdlib.cpp. Kernel only.
// long and long long are both 64 bits on x86_64, so all four strto* map onto the same parsers.
#include <nk_stdlib.h>
#include <stdlib.h>

static_assert(sizeof(long) == sizeof(nk::i64) && sizeof(long long) == sizeof(nk::i64));

namespace {

// C's endptr is a char** even though the text is const.
void store_end(char** end, const char* position) {
    if (end)
        *end = const_cast<char*>(position);
}

} // namespace

extern "C" {

long strtol(const char* text, char** end, int base) {
    const char* position;
    long value = nk::parse_signed(text, &position, base);
    store_end(end, position);
    return value;
}

unsigned long strtoul(const char* text, char** end, int base) {
    const char* position;
    unsigned long value = nk::parse_unsigned(text, &position, base);
    store_end(end, position);
    return value;
}

long long strtoll(const char* text, char** end, int base) {
    return strtol(text, end, base);
}

unsigned long long strtoull(const char* text, char** end, int base) {
    return strtoul(text, end, base);
}

// Out-of-range input is undefined behaviour in C; this truncates, as glibc does.
int atoi(const char* text) {
    return int(nk::parse_signed(text, nullptr, 10));
}
long atol(const char* text) {
    return nk::parse_signed(text, nullptr, 10);
}

int abs(int value) {
    return value < 0 ? -value : value;
}
long labs(long value) {
    return value < 0 ? -value : value;
}
long long llabs(long long value) {
    return value < 0 ? -value : value;
}

} // extern "C"
