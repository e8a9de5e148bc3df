/* lwIP's compiler and platform definitions for the kernel (lwIP 2.1.3, src/include/lwip/arch.h
 * says what a port provides): freestanding GCC on x86_64, the kernel's console for diagnostics,
 * a kernel panic for a failed assertion (a broken invariant of the stack). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_UNISTD_H 1

#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

#define BYTE_ORDER LITTLE_ENDIAN

#ifdef __cplusplus
extern "C" {
#endif

void nk_lwip_diag(const char* format, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void nk_lwip_assert(const char* message, const char* file, int line);
uint32_t nk_lwip_random(void);
/* errno of the calling thread (lwIP's socket layer sets it). */
int* nk_lwip_errno(void);

#ifdef __cplusplus
}
#endif

#define LWIP_PLATFORM_DIAG(x) \
    do {                      \
        nk_lwip_diag x;       \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x) nk_lwip_assert((x), __FILE__, __LINE__)
#define LWIP_RAND() nk_lwip_random()
#define errno (*nk_lwip_errno())
