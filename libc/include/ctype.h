/* The kernel's <ctype.h>: the "C" locale only. The logic is in nk_ctype.h. */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

int isdigit(int c);
int isxdigit(int c);
int isalpha(int c);
int isalnum(int c);
int isspace(int c);
int isupper(int c);
int islower(int c);
int isprint(int c);
int ispunct(int c);
int iscntrl(int c);
int toupper(int c);
int tolower(int c);

#ifdef __cplusplus
}
#endif
