/* The kernel's <stdio.h>: formatting only, on top of the nk::vformat engine (see format.h for the
 * supported conversions; no floating point). There are no FILE streams. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

#ifdef __cplusplus
extern "C" {
#endif

int snprintf(char* buffer, size_t size, const char* format, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char* buffer, size_t size, const char* format, va_list args);

/* Formats to the kernel console; returns the number of characters written. */
int kprintf(const char* format, ...) __attribute__((format(printf, 1, 2)));
int vkprintf(const char* format, va_list args);

/* Provided by the kernel: writes raw bytes to the console. */
void nk_console_write(const char* data, size_t length);

#ifdef __cplusplus
}
#endif
