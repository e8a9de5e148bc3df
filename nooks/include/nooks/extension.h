/* What every extension module declares: its metadata and its entry points. The module loader
 * finds the `nooks_module_info` symbol, checks the ABI version and class, and calls init()
 * — natively, or through a cross-domain call when the module is loaded isolated. */
#pragma once

#include <nooks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NOOKS_ABI_VERSION 1u

enum nooks_extension_class {
    NOOKS_CLASS_TEST = 0,
    NOOKS_CLASS_NET = 1,
    NOOKS_CLASS_BLOCK = 2,
    NOOKS_CLASS_FS = 3,
    NOOKS_CLASS_SERVICE = 4,
};

struct nooks_module_info {
    uint32_t abi_version; /* NOOKS_ABI_VERSION */
    uint32_t extension_class;
    char name[32];
    /* Called once after loading (and again after each recovery). 0 or -errno. */
    nk_status (*init)(void);
    /* Called before a healthy unload; releases what init() took. May be null. */
    void (*exit)(void);
    /* The class's operation table (struct nooks_test_ops, a net ops table...). */
    const void* ops;
};

/* One per module:
 *   NOOKS_MODULE("e1000", NOOKS_CLASS_NET, e1000_init, e1000_exit, &e1000_ops);
 */
#ifdef __cplusplus
#define NOOKS_EXPORT extern "C"
#else
#define NOOKS_EXPORT
#endif
#define NOOKS_MODULE(module_name, module_class, init_function, exit_function, ops_table)           \
    NOOKS_EXPORT __attribute__((used)) const struct nooks_module_info nooks_module_info = {        \
        NOOKS_ABI_VERSION, (module_class),  module_name,                                           \
        (init_function),   (exit_function), (ops_table)}

#ifdef __cplusplus
}
#endif
