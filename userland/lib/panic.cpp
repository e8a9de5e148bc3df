// The failure hooks the shared libc and nk headers call (assert, MUST/Result misuse, the C++
// runtime). In the kernel they panic; in a program they report on standard error and end the
// program with status 127, leaving the rest of the system running.
#include <nk/result.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>

namespace {

constexpr int FAILURE_STATUS = 127;

} // namespace

extern "C" {

[[noreturn]] void nk_panic(const char* message) {
    dprintf(2, "fatal: %s\n", message);
    sys::exit(FAILURE_STATUS);
}

[[noreturn]] void nk_assert_failed(const char* expression, const char* file, int line,
                                   const char* function) {
    dprintf(2, "assertion failed: %s in %s at %s:%d\n", expression, function, file, line);
    sys::exit(FAILURE_STATUS);
}

} // extern "C"

namespace nk {

[[noreturn]] void result_failed(const char* what, const char* file, int line) {
    dprintf(2, "fatal: %s at %s:%d\n", what, file, line);
    sys::exit(FAILURE_STATUS);
}

} // namespace nk
