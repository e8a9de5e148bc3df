/* The kernel's <assert.h>. No include guard on purpose: C lets a file redefine assert by
 * including this again after changing NDEBUG. */

#undef assert

#ifdef NDEBUG
#define assert(expression) ((void)0)
#else
#define assert(expression)                                                                         \
    (__builtin_expect(!!(expression), 1)                                                           \
         ? (void)0                                                                                 \
         : nk_assert_failed(#expression, __FILE__, __LINE__, __func__))
#endif

#ifndef NK_ASSERT_FAILED_DECLARED
#define NK_ASSERT_FAILED_DECLARED
#ifdef __cplusplus
extern "C" {
#endif
/* Provided by the kernel: reports the failed assertion and panics. */
__attribute__((noreturn)) void nk_assert_failed(const char* expression, const char* file, int line,
                                                const char* function);
#ifdef __cplusplus
}
#endif
#endif

/* C11 spells the keyword _Static_assert and gives it this name here; C23 made it a keyword. */
#if !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L &&           \
    __STDC_VERSION__ < 202311L && !defined(static_assert)
#define static_assert _Static_assert
#endif
