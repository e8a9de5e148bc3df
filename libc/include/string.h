/* The kernel's <string.h>. The implementations are the nk:: functions in nk_string.cpp; this
 * header is shared with C code (lwIP), hence the C-compatible syntax. */
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

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
char* strstr(const char* haystack, const char* needle);
char* strcpy(char* destination, const char* source);
char* strncpy(char* destination, const char* source, size_t max_length);
char* strcat(char* destination, const char* source);

#ifdef __cplusplus
}
#endif
