// The printf engine shared by kprintf, snprintf and anything else that formats text. It lives in
// namespace nk with no C-named symbols so that host tests can compare it against the host's
// printf in the same binary.
//
// Supported: %d %i %u %x %X %o %p %s %c %%, length modifiers hh h l ll z t j, flags - 0 + space #,
// field width and precision (both may be *). No floating point: the kernel has no FPU state.
// Deliberate differences from C:
//   - %p prints "0x" and exactly 16 hex digits (NULL too), so pointers line up in dumps.
//   - %s of NULL prints "(null)", cut to the precision if one is given.
//   - %n writes nothing and its argument is skipped.
//   - An unknown conversion is copied to the output as written ("%-5y" stays "%-5y"); any *
//     arguments it named have been consumed.
//   - Widths and precisions are clamped to 2^20.
#pragma once

#include <nk/types.h>
#include <stdarg.h>

namespace nk {

// Receives formatted output in pieces.
using FormatSink = void (*)(void* context, const char* data, usize length);

// Returns the number of characters produced.
int vformat(FormatSink sink, void* context, const char* format, va_list args);
int format(FormatSink sink, void* context, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

// snprintf semantics: always NUL-terminates when size > 0, returns the length the full output
// would have. buffer may be null when size is 0, to measure.
int vformat_to_buffer(char* buffer, usize size, const char* format, va_list args);
int format_to_buffer(char* buffer, usize size, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

} // namespace nk
