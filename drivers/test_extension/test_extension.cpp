// The test extension: a module with one entry point per crossing kind. It is written against the
// extension API only (nooks/include); the build gives it no other include path.
#include <nooks/extension.h>
#include <nooks/kernel_api.h>
#include <nooks/test_extension.h>

namespace {

long echo(long value) {
    return value + 1;
}

long fill(unsigned char* buffer, size_t length, unsigned char value) {
    long sum = 0;
    for (size_t i = 0; i < length; ++i) {
        buffer[i] = value;
        sum += value;
    }
    return sum;
}

long churn(unsigned count) {
    for (unsigned i = 0; i < count; ++i) {
        void* block = nk_malloc(64 + i % 256);
        if (!block)
            return -NK_ENOMEM;
        nk_free(block);
    }
    return count;
}

const nooks_test_ops g_ops = {echo, fill, churn};

nk_status test_init() {
    nk_log("test extension: initialised\n");
    return 0;
}

void test_exit() {
    nk_log("test extension: unloading\n");
}

} // namespace

NOOKS_MODULE("test", NOOKS_CLASS_TEST, test_init, test_exit, &g_ops);
