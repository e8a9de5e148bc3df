/* The service class: an extension that provides something by itself (the in-kernel web server,
 * a heartbeat) rather than a device. Its init() starts it — typically a thread — and its exit()
 * stops it. The kernel asks it how it is doing for `ext stats`. */
#pragma once

#include <nooks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nooks_service_ops {
    /* Writes one line of status ("serving /www on port 80: 12 requests") into `buffer`, NUL
     * terminated within `size` bytes. 0 or -errno. */
    nk_status (*status)(char* buffer, size_t size);
};

#ifdef __cplusplus
}
#endif
