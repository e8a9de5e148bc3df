// The C-named <string.h> functions for the kernel: thin wrappers over nk_string.cpp. Kernel only;
// in the host test binary they would replace the host's own C library.
#include <nk_string.h>
#include <string.h>

extern "C" {

void* memcpy(void* destination, const void* source, size_t length) {
    return nk::copy_memory(destination, source, length);
}

void* memmove(void* destination, const void* source, size_t length) {
    return nk::move_memory(destination, source, length);
}

void* memset(void* destination, int byte, size_t length) {
    return nk::fill_memory(destination, byte, length);
}

int memcmp(const void* a, const void* b, size_t length) {
    return nk::compare_memory(a, b, length);
}

// C's search functions take const input and hand back a mutable pointer.
void* memchr(const void* data, int byte, size_t length) {
    return const_cast<void*>(nk::find_byte(data, byte, length));
}

size_t strlen(const char* string) {
    return nk::string_length(string);
}

size_t strnlen(const char* string, size_t max_length) {
    return nk::string_length_bounded(string, max_length);
}

int strcmp(const char* a, const char* b) {
    return nk::compare_strings(a, b);
}

int strncmp(const char* a, const char* b, size_t max_length) {
    return nk::compare_strings_bounded(a, b, max_length);
}

char* strchr(const char* string, int character) {
    return const_cast<char*>(nk::find_char(string, character));
}

char* strrchr(const char* string, int character) {
    return const_cast<char*>(nk::find_last_char(string, character));
}

char* strstr(const char* haystack, const char* needle) {
    return const_cast<char*>(nk::find_substring(haystack, needle));
}

char* strcpy(char* destination, const char* source) {
    return nk::copy_string(destination, source);
}

char* strncpy(char* destination, const char* source, size_t max_length) {
    return nk::copy_string_bounded(destination, source, max_length);
}

char* strcat(char* destination, const char* source) {
    return nk::append_string(destination, source);
}

} // extern "C"
