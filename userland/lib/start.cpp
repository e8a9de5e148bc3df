// What runs between _start and main: static constructors, then main, then Exit with its result.
#include <userland/lib/syscalls.h>

int main(int argc, char** argv);

extern "C" {
// Bounds of .init_array, defined by user.ld.
using InitFunction = void (*)();
extern InitFunction __init_array_start[];
extern InitFunction __init_array_end[];

[[noreturn]] void nk_user_start(int argc, char** argv) {
    for (InitFunction* function = __init_array_start; function != __init_array_end; ++function)
        (*function)();
    sys::exit(main(argc, argv));
}
}
