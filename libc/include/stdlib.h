/* The kernel's <stdlib.h>: integer conversion only. There is deliberately no malloc: kernel code
 * allocates with kmalloc, and lwIP is configured to use its own pools. */
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

int atoi(const char* text);
long atol(const char* text);
/* Out-of-range results clamp to the type's limits; errno does not exist and is not set. */
long strtol(const char* text, char** end, int base);
unsigned long strtoul(const char* text, char** end, int base);
long long strtoll(const char* text, char** end, int base);
unsigned long long strtoull(const char* text, char** end, int base);
int abs(int value);
long labs(long value);
long long llabs(long long value);

#ifdef __cplusplus
}
#endif
