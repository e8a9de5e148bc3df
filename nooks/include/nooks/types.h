/* Basic types of the extension ABI. Extensions include only headers from nooks/include: the
 * build compiles them with no other include path, so kernel internals are out of reach. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Results of kernel services: 0 or a positive value on success, -errno on failure (the values of
 * the kernel's nk::Error, which are POSIX errno numbers). */
typedef long nk_status;

#define NK_EPERM 1
#define NK_ENOENT 2
#define NK_EIO 5
#define NK_ENOMEM 12
#define NK_EFAULT 14
#define NK_EBUSY 16
#define NK_EEXIST 17
#define NK_ENODEV 19
#define NK_ENOTDIR 20
#define NK_EISDIR 21
#define NK_EINVAL 22
#define NK_ENOSPC 28
#define NK_ENAMETOOLONG 36
#define NK_ENOSYS 38
#define NK_ENOTEMPTY 39
#define NK_EPIPE 32
#define NK_EADDRINUSE 98
#define NK_ECONNRESET 104
#define NK_ENOTCONN 107
#define NK_ETIMEDOUT 110
#define NK_ESTALE 116
#define NK_ECONNREFUSED 111
#define NK_EDQUOT 122 /* one of the extension's resource limits is reached */
#define NK_ECANCELED 125

/* Opaque handles the kernel hands out; an extension can only pass them back. */
typedef struct nk_irq_object* nk_irq_handle;
typedef struct nk_timer_object* nk_timer_handle;
typedef struct nk_pci_object* nk_pci_device;
typedef struct nk_dma_object* nk_dma_handle;
typedef struct nk_mmio_object* nk_mmio_handle;
typedef struct nk_thread_object* nk_thread_handle;
typedef struct nk_mutex_object* nk_mutex_handle;
typedef struct nk_event_object* nk_event_handle;
typedef struct nk_netdev_object* nk_netdev_handle;
typedef struct nk_blkdev_object* nk_blkdev_handle;
typedef struct nk_fs_object* nk_fs_handle;
typedef struct nk_block_object* nk_block_handle;

#ifdef __cplusplus
}
#endif
