// Formatted output for programs, on the nk::vformat engine (format.h lists the conversions; no
// floating point). Each call formats into a small buffer and hands the kernel whole chunks, so a
// short message is one Write and lines from different processes do not interleave mid-line.
// Nothing is buffered across calls, so there is nothing to flush at exit.
#pragma once

#include <stdarg.h>
#include <stddef.h>

extern "C" {

int printf(const char* format, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char* format, va_list args);
// printf to a descriptor (the POSIX name).
int dprintf(int fd, const char* format, ...) __attribute__((format(printf, 2, 3)));
int vdprintf(int fd, const char* format, va_list args);
// The text and a newline on standard output.
int puts(const char* text);

} // extern "C"
