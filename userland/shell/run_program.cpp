#include <format.h>
#include <nk/syscall_abi.h>
#include <nk_string.h>
#include <userland/lib/exit_status.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>
#include <userland/shell/builtins.h>
#include <userland/shell/run_program.h>

namespace shell {

namespace abi = nk::abi;

int run_program(const char* const* argv, nk::usize argc, int out) {
    const char* name = argv[0];
    bool is_path = nk::find_char(name, '/') != nullptr;
    char path_buffer[abi::MAX_PATH];
    const char* path = name;
    if (!is_path) {
        int length = nk::format_to_buffer(path_buffer, sizeof(path_buffer), "/bin/%s", name);
        if (nk::usize(length) >= sizeof(path_buffer)) {
            dprintf(2, "shell: unknown command: %s\n", name);
            return STATUS_NOT_FOUND;
        }
        path = path_buffer;
    }

    abi::SpawnRequest request = {path, argv, argc, {0, out, 2}, 0};
    auto pid = sys::spawn(request);
    if (pid.is_error()) {
        if (pid.error() == nk::Error::NoEntry) {
            if (is_path)
                report("shell", path, pid.error());
            else
                dprintf(2, "shell: unknown command: %s\n", name);
            return STATUS_NOT_FOUND;
        }
        report("shell", path, pid.error());
        return STATUS_CANNOT_EXECUTE;
    }

    int status = 0;
    if (auto waited = sys::wait(pid.value(), status); waited.is_error())
        return report("shell", "wait", waited.error());
    if (const char* reason = user::kill_reason(status))
        dprintf(2, "shell: %s killed (%s)\n", path, reason);
    return status;
}

} // namespace shell
