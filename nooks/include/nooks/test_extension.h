/* The test extension class: entry points that exercise every kind of crossing and, on request,
 * every kind of fault (used by the in-kernel and boot tests of the isolation subsystem). */
#pragma once

#include <nooks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nooks_test_ops {
    /* Returns its argument plus one: the null crossing. */
    long (*echo)(long value);
    /* Fills `buffer` (kernel-provided) with `length` bytes of `value` and returns the sum of the
     * bytes: a crossing with an in/out buffer. */
    long (*fill)(unsigned char* buffer, size_t length, unsigned char value);
    /* Allocates and frees through the kernel API `count` times: crossings back into the kernel. */
    long (*churn)(unsigned count);
};

#ifdef __cplusplus
}
#endif
