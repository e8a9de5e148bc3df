// init, process 1: gives itself the console as descriptors 0, 1 and 2, shows /etc/motd, and keeps
// a shell running on the console for as long as the system is up. A shell that exits or is
// killed is reported and replaced; one that keeps dying at once is restarted only once a second,
// so a broken /bin/shell cannot flood the console.
//
// init waits for any child, not just the shell: processes whose parent died are expected to be
// handed to init, and waiting reaps them.
#include <nk/syscall_abi.h>
#include <userland/lib/exit_status.h>
#include <userland/lib/io.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>

namespace abi = nk::abi;

namespace {

constexpr const char* CONSOLE = "/dev/console";
constexpr const char* SHELL = "/bin/shell";
constexpr const char* MOTD = "/etc/motd";

// A shell that lives less than this "died at once".
constexpr nk::u64 QUICK_DEATH_NS = 1000000000ull;
// After this many quick deaths in a row, wait between restarts.
constexpr int QUICK_DEATHS_BEFORE_BACKOFF = 5;
constexpr nk::u64 BACKOFF_MS = 1000;

nk::u64 uptime_ns() {
    abi::TimeInfo time = {};
    if (sys::time(time).is_error())
        return 0;
    return time.uptime_ns;
}

// Descriptors 0, 1, 2 on the console. Opens hand out the lowest free descriptor, so three opens
// normally suffice; Dup2 repairs the numbering if not.
bool open_console() {
    for (int wanted = 0; wanted < 3; ++wanted) {
        auto fd = sys::open(CONSOLE, abi::O_RDWR);
        if (fd.is_error())
            return false;
        if (fd.value() != wanted) {
            if (sys::dup2(fd.value(), wanted).is_error())
                return false;
            (void)sys::close(fd.value());
        }
    }
    return true;
}

void show_motd() {
    auto fd = sys::open(MOTD, abi::O_RDONLY);
    if (fd.is_error()) {
        dprintf(user::STDERR, "init: %s: %s\n", MOTD, nk::error_string(fd.error()));
        return;
    }
    auto copied = user::copy_fd(fd.value(), user::STDOUT);
    if (copied.is_error())
        dprintf(user::STDERR, "init: %s: %s\n", MOTD, nk::error_string(copied.error()));
    (void)sys::close(fd.value());
}

nk::Result<int> start_shell() {
    const char* argv[] = {SHELL, nullptr};
    abi::SpawnRequest request = {SHELL, argv, 1, {0, 1, 2}, 0};
    return sys::spawn(request);
}

// Waits until the shell ends, reaping any other child along the way; returns its status.
nk::Result<int> wait_for(int shell_pid) {
    for (;;) {
        int status = 0;
        int pid = TRY(sys::wait(-1, status));
        if (pid == shell_pid)
            return status;
    }
}

void report_end(int status) {
    if (const char* reason = user::kill_reason(status))
        printf("init: %s killed (%s), status %d; starting a new one\n", SHELL, reason, status);
    else
        printf("init: %s exited with status %d; starting a new one\n", SHELL, status);
}

} // namespace

int main(int, char**) {
    // Nowhere to report a failure to: the console is what failed.
    if (!open_console())
        return 1;
    show_motd();

    int quick_deaths = 0;
    for (;;) {
        if (quick_deaths >= QUICK_DEATHS_BEFORE_BACKOFF)
            (void)sys::sleep(BACKOFF_MS);

        nk::u64 started = uptime_ns();
        auto pid = start_shell();
        if (pid.is_error()) {
            dprintf(user::STDERR, "init: cannot start %s: %s\n", SHELL,
                    nk::error_string(pid.error()));
            ++quick_deaths;
            continue;
        }
        auto status = wait_for(pid.value());
        if (status.is_error()) {
            // Only possible if the kernel lost the child; do not spin on it.
            dprintf(user::STDERR, "init: wait: %s\n", nk::error_string(status.error()));
            ++quick_deaths;
            continue;
        }
        report_end(status.value());
        quick_deaths = uptime_ns() - started < QUICK_DEATH_NS ? quick_deaths + 1 : 0;
    }
}
