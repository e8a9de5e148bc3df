// The C-named <ctype.h> functions for the kernel (C callers such as lwIP); C++ code can use
// nk_ctype.h directly. Kernel only.
#include <ctype.h>
#include <nk_ctype.h>

extern "C" {

int isdigit(int c) {
    return nk::is_digit(c);
}
int isxdigit(int c) {
    return nk::is_hex_digit(c);
}
int isalpha(int c) {
    return nk::is_alpha(c);
}
int isalnum(int c) {
    return nk::is_alnum(c);
}
int isspace(int c) {
    return nk::is_space(c);
}
int isupper(int c) {
    return nk::is_upper(c);
}
int islower(int c) {
    return nk::is_lower(c);
}
int isprint(int c) {
    return nk::is_print(c);
}
int ispunct(int c) {
    return nk::is_punct(c);
}
int iscntrl(int c) {
    return nk::is_control(c);
}
int toupper(int c) {
    return nk::to_upper(c);
}
int tolower(int c) {
    return nk::to_lower(c);
}

} // extern "C"
