/* The module support library: plain code linked into every extension module (memory and string
 * functions, bounded formatting, little-endian field access, checked arithmetic). It runs in the
 * module itself, natively or inside its domain, so calling it costs no crossing and touches no
 * kernel state. The C-named functions are also what the compiler emits for struct copies. */
#pragma once

#include <nooks/types.h>
#include <stdarg.h>

#if !defined(NOOKS_EXTENSION) && __STDC_HOSTED__
/* Plain module logic built for host unit tests uses the host's own C library. */
#include <string.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(NOOKS_EXTENSION) || !__STDC_HOSTED__
void* memcpy(void* destination, const void* source, size_t length);
void* memmove(void* destination, const void* source, size_t length);
void* memset(void* destination, int byte, size_t length);
int memcmp(const void* a, const void* b, size_t length);
void* memchr(const void* data, int byte, size_t length);
size_t strlen(const char* string);
size_t strnlen(const char* string, size_t max_length);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t max_length);
char* strchr(const char* string, int character);
char* strrchr(const char* string, int character);
#endif

/* Copies at most size - 1 bytes and always terminates (size > 0); returns strlen(source), so a
 * result >= size means the copy was cut. */
size_t nk_strlcpy(char* destination, const char* source, size_t size);

/* The decimal digits at the start of `text` (at least one) as a number no larger than `limit`:
 * a pointer just past them, with the number in *out; null when there is no digit or the number
 * is larger. A whole-string parse checks that the pointer returned points at the NUL. */
const char* nk_parse_decimal(const char* text, uint64_t limit, uint64_t* out);

/* snprintf: always terminates when size > 0, returns the length the whole output would have.
 * The kernel's format engine: %d %i %u %x %X %o %p %s %c with the usual flags, widths and length
 * modifiers, no floating point. */
int nk_snprintf(char* buffer, size_t size, const char* format, ...)
    __attribute__((format(printf, 3, 4)));
int nk_vsnprintf(char* buffer, size_t size, const char* format, va_list args);

/* Little-endian fields of on-disk and on-wire structures, at any alignment. */
static inline uint16_t nk_le16(const void* field) {
    const uint8_t* b = (const uint8_t*)field;
    return (uint16_t)(b[0] | (b[1] << 8));
}
static inline uint32_t nk_le32(const void* field) {
    const uint8_t* b = (const uint8_t*)field;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}
static inline uint64_t nk_le64(const void* field) {
    return (uint64_t)nk_le32(field) | ((uint64_t)nk_le32((const uint8_t*)field + 4) << 32);
}
static inline void nk_put_le16(void* field, uint16_t value) {
    uint8_t* b = (uint8_t*)field;
    b[0] = (uint8_t)value;
    b[1] = (uint8_t)(value >> 8);
}
static inline void nk_put_le32(void* field, uint32_t value) {
    uint8_t* b = (uint8_t*)field;
    for (int i = 0; i < 4; ++i)
        b[i] = (uint8_t)(value >> (8 * i));
}

/* Checked arithmetic: nonzero when the true result does not fit (then *out is unspecified). */
static inline int nk_add_overflow(uint64_t a, uint64_t b, uint64_t* out) {
    return __builtin_add_overflow(a, b, out);
}
static inline int nk_mul_overflow(uint64_t a, uint64_t b, uint64_t* out) {
    return __builtin_mul_overflow(a, b, out);
}
/* value rounded up to a multiple of `unit` (a power of two is not required); 0 on overflow. */
static inline uint64_t nk_round_up(uint64_t value, uint64_t unit) {
    uint64_t sum;
    if (unit == 0 || nk_add_overflow(value, unit - 1, &sum))
        return 0;
    return sum - sum % unit;
}

#ifdef __cplusplus
}
#endif
