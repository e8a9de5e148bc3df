// The smallest program worth running: proves that loading, arguments and output work.
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>

int main(int argc, char** argv) {
    printf("Hello from user space! I am pid %d.\n", sys::get_pid());
    for (int i = 0; i < argc; ++i)
        printf("argv[%d] = \"%s\"\n", i, argv[i]);
    if (argv[argc] != nullptr)
        printf("hello: argv[%d] is not NULL\n", argc);
    return 0;
}
