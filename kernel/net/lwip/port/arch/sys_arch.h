/* lwIP's operating-system types for the kernel (sys_arch.cpp implements them on kernel
 * semaphores, mutexes and threads). Each is a pointer to a kernel object; null means "not
 * valid", as lwIP's sys_*_valid() ask. */
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nk_lwip_semaphore;
struct nk_lwip_mutex;
struct nk_lwip_mailbox;

typedef struct {
    struct nk_lwip_semaphore* object;
} sys_sem_t;
typedef struct {
    struct nk_lwip_mutex* object;
} sys_mutex_t;
typedef struct {
    struct nk_lwip_mailbox* object;
} sys_mbox_t;
typedef void* sys_thread_t;
typedef uint64_t sys_prot_t;

#define sys_sem_valid(sem) ((sem) != NULL && (sem)->object != NULL)
#define sys_sem_set_invalid(sem) ((sem)->object = NULL)
#define sys_mutex_valid(mutex) ((mutex) != NULL && (mutex)->object != NULL)
#define sys_mutex_set_invalid(mutex) ((mutex)->object = NULL)
#define sys_mbox_valid(mbox) ((mbox) != NULL && (mbox)->object != NULL)
#define sys_mbox_set_invalid(mbox) ((mbox)->object = NULL)

#ifdef __cplusplus
}
#endif
