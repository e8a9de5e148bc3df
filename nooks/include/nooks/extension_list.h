/* What the kernel knows about every loaded extension, for a status page (the web server's
 * /_ext): class, mode, state, restarts, faults, crossings, the objects it holds by kind, its
 * last fault and how long that recovery took. One crossing for the whole list. */
#pragma once

#include <nooks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NK_EXTENSION_LIST_MAX 16
#define NK_EXTENSION_HELD_KINDS 16

struct nk_held_objects {
    char kind[16]; /* "irq", "timer", "dma", "socket"... */
    uint32_t count;
    uint32_t reserved;
};

struct nk_extension_info {
    char name[32];
    char class_name[16]; /* "net", "block", "fs", "service"... */
    char mode[16];       /* "native", "isolated" */
    char state[16];      /* "running", "recovering", "failed", "disabled"... */
    uint64_t restarts;
    uint64_t faults;
    uint64_t crossings;        /* calls into the extension */
    uint64_t kernel_calls;     /* its calls to the kernel through wrappers (isolated only; each a
                                  crossing) */
    uint64_t last_recovery_us; /* 0 when it never recovered */
    uint32_t held_count;       /* entries used in held[] (kinds with at least one object) */
    uint32_t reserved;
    struct nk_held_objects held[NK_EXTENSION_HELD_KINDS];
    char last_fault[96]; /* "page fault at e1000_transmit+0x1a", or "" when none */
};

/* Up to `max` (at most NK_EXTENSION_LIST_MAX) extensions, in load order: how many were written. */
long nk_extension_list(struct nk_extension_info* out, uint32_t max);

#ifdef __cplusplus
}
#endif
