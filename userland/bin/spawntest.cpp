// Spawns /bin/true N times, one after the other, and checks every child exits 0: a smoke test
// for process creation, exit and reaping (run it with a large N and watch `mem` stay flat).
#include <nk_stdlib.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>

int main(int argc, char** argv) {
    const char* end = nullptr;
    long count = argc == 2 ? long(nk::parse_signed(argv[1], &end, 10)) : -1;
    if (argc != 2 || *end != '\0' || count < 0) {
        dprintf(2, "usage: spawntest N\n");
        return 2;
    }
    const char* child_argv[] = {"true", nullptr};
    nk::abi::SpawnRequest request = {"/bin/true", child_argv, 1, {0, 1, 2}, 0};
    long spawned = 0;
    long exited_zero = 0;
    for (long i = 0; i < count; ++i) {
        auto pid = sys::spawn(request);
        if (pid.is_error()) {
            dprintf(2, "spawntest: spawn #%ld of /bin/true: %s\n", i + 1,
                    nk::error_string(pid.error()));
            break;
        }
        ++spawned;
        int status = -1;
        auto waited = sys::wait(pid.value(), status);
        if (waited.is_error()) {
            dprintf(2, "spawntest: wait for pid %d: %s\n", pid.value(),
                    nk::error_string(waited.error()));
            break;
        }
        if (status == 0)
            ++exited_zero;
        else
            dprintf(2, "spawntest: pid %d exited with status %d\n", pid.value(), status);
    }
    printf("spawntest: %ld spawned, %ld exited 0\n", spawned, exited_zero);
    return spawned == count && exited_zero == count ? 0 : 1;
}
