// The memory and string routines behind <string.h>, in namespace nk so that host tests can link
// them next to the host's own C library. The kernel's C-named wrappers live in string.cpp.
#pragma once

#include <nk/types.h>

namespace nk {

// Regions must not overlap.
void* copy_memory(void* destination, const void* source, usize length);
// Regions may overlap.
void* move_memory(void* destination, const void* source, usize length);
void* fill_memory(void* destination, int byte, usize length);
// Compares as unsigned bytes; the sign of the result orders the regions.
int compare_memory(const void* a, const void* b, usize length);
const void* find_byte(const void* data, int byte, usize length);

usize string_length(const char* string);
// Reads at most max_length bytes, so the string need not be terminated within them.
usize string_length_bounded(const char* string, usize max_length);
int compare_strings(const char* a, const char* b);
int compare_strings_bounded(const char* a, const char* b, usize max_length);
// Searching for '\0' finds the terminator.
const char* find_char(const char* string, int character);
const char* find_last_char(const char* string, int character);
// An empty needle matches at the start of the haystack.
const char* find_substring(const char* haystack, const char* needle);
char* copy_string(char* destination, const char* source);
// strncpy: stops at max_length without terminating, pads with '\0' when the source is shorter.
char* copy_string_bounded(char* destination, const char* source, usize max_length);
char* append_string(char* destination, const char* source);

} // namespace nk
