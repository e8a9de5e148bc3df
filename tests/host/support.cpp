// Host-side stand-ins for the few kernel hooks the plain-logic sources call.
#include <nk/result.h>

#include <cstdio>
#include <cstdlib>

namespace nk {

[[noreturn]] void result_failed(const char* what, const char* file, int line) {
    std::fprintf(stderr, "result_failed: %s at %s:%d\n", what, file, line);
    std::abort();
}

} // namespace nk
