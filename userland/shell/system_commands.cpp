// The builtins that report on or control the system, and the shell's own.
#include <nk/syscall_abi.h>
#include <nk_stdlib.h>
#include <nk_string.h>
#include <userland/lib/io.h>
#include <userland/lib/malloc.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>
#include <userland/shell/builtins.h>
#include <userland/shell/commands.h>
#include <userland/shell/run_program.h>

namespace shell::commands {

namespace abi = nk::abi;
using nk::usize;

// Prints one of the kernel's text reports. The kernel cuts a report to the buffer it is given,
// so a full buffer is taken as a sign of more and the call is repeated with a bigger one.
int print_info(Context& context, int argc, const char* const* argv, abi::InfoKind kind) {
    if (argc != 1)
        return usage(argv[0]);
    constexpr usize FIRST_SIZE = 64 * 1024;
    constexpr usize MAX_SIZE = 1024 * 1024;
    usize size = FIRST_SIZE;
    for (;;) {
        auto* buffer = static_cast<char*>(malloc(size));
        if (!buffer)
            return report(argv[0], nullptr, nk::Error::NoMemory);
        auto length = sys::info(kind, buffer, size);
        if (length.is_error()) {
            free(buffer);
            return report(argv[0], nullptr, length.error());
        }
        if (length.value() >= size && size < MAX_SIZE) {
            free(buffer);
            size = nk::min(MAX_SIZE, nk::max(size * 2, length.value() + 1));
            continue;
        }
        usize shown = nk::min(length.value(), size);
        auto written = user::write_all(context.out, buffer, shown);
        // The prompt belongs on a line of its own.
        if (written.has_value() && shown > 0 && buffer[shown - 1] != '\n')
            written = user::write_all(context.out, "\n", 1);
        free(buffer);
        return written.is_error() ? report(argv[0], "write", written.error()) : STATUS_OK;
    }
}

namespace {

int machine(const char* name, abi::MachineCommand command) {
    return report(name, nullptr, sys::machine(command));
}

} // namespace

int help(Context& context, int argc, const char* const* argv) {
    if (argc != 1)
        return usage(argv[0]);
    for (const Builtin& builtin : builtins())
        dprintf(context.out, "  %-22s %s\n", builtin.synopsis, builtin.summary);
    dprintf(context.out,
            "  %-22s %s\n  %-22s %s\n"
            "Quote with '...' or \"...\", escape with \\. $? is the last exit status.\n"
            "Keys: arrows, Home/End, Backspace/Delete, Ctrl-U clears the line, Ctrl-C drops it.\n",
            "NAME [ARG...]", "run /bin/NAME (a word with a / is a path)", "CMD > FILE, >> FILE",
            "send the output to FILE (replace, append)");
    return STATUS_OK;
}

int echo(Context& context, int argc, const char* const* argv) {
    bool newline = true;
    int first = 1;
    if (argc > 1 && nk::compare_strings(argv[1], "-n") == 0) {
        newline = false;
        first = 2;
    }
    // Assembled first so that the line reaches its destination in one Write.
    char line[abi::MAX_ARGUMENTS * abi::MAX_ARGUMENT + 2];
    usize length = 0;
    for (int i = first; i < argc; ++i) {
        if (i > first)
            line[length++] = ' ';
        usize word = nk::string_length(argv[i]);
        nk::copy_memory(line + length, argv[i], word);
        length += word;
    }
    if (newline)
        line[length++] = '\n';
    if (auto result = user::write_all(context.out, line, length); result.is_error())
        return report("echo", nullptr, result.error());
    return STATUS_OK;
}

int ps(Context& context, int argc, const char* const* argv) {
    return print_info(context, argc, argv, abi::InfoKind::Processes);
}

int mem(Context& context, int argc, const char* const* argv) {
    return print_info(context, argc, argv, abi::InfoKind::Memory);
}

int dmesg(Context& context, int argc, const char* const* argv) {
    return print_info(context, argc, argv, abi::InfoKind::Log);
}

int uptime(Context& context, int argc, const char* const* argv) {
    return print_info(context, argc, argv, abi::InfoKind::Uptime);
}

int lspci(Context& context, int argc, const char* const* argv) {
    return print_info(context, argc, argv, abi::InfoKind::Pci);
}

int irqs(Context& context, int argc, const char* const* argv) {
    return print_info(context, argc, argv, abi::InfoKind::Irqs);
}

int bench(Context& context, int argc, const char* const* argv) {
    // bench disk [MiB]: the storage stack native, then isolated (the diskbench program).
    if (argc >= 2 && nk::compare_strings(argv[1], "disk") == 0) {
        if (argc > 3)
            return usage("bench");
        const char* program[] = {"/bin/diskbench", argc == 3 ? argv[2] : nullptr, nullptr};
        return run_program(program, argc == 3 ? 2 : 1, context.out);
    }
    return print_info(context, argc, argv, abi::InfoKind::Benchmark);
}

int ktest(Context& context, int argc, const char* const* argv) {
    if (argc > 2)
        return usage("ktest");
    const char* prefix = argc == 2 ? argv[1] : "";
    // The kernel prints each test's result on the console itself.
    auto failures = sys::ktest(prefix);
    if (failures.is_error())
        return report("ktest", nullptr, failures.error());
    if (failures.value() == 0)
        dprintf(context.out, "ktest: all passed\n");
    else
        dprintf(context.out, "ktest: %d failed\n", failures.value());
    return failures.value() == 0 ? STATUS_OK : STATUS_FAILURE;
}

int poweroff(Context&, int argc, const char* const* argv) {
    if (argc != 1)
        return usage(argv[0]);
    return machine("poweroff", abi::MachineCommand::PowerOff);
}

int reboot(Context&, int argc, const char* const* argv) {
    if (argc != 1)
        return usage(argv[0]);
    return machine("reboot", abi::MachineCommand::Reboot);
}

int exit(Context& context, int argc, const char* const* argv) {
    if (argc > 2)
        return usage("exit");
    int status = STATUS_OK;
    if (argc == 2) {
        const char* end = nullptr;
        nk::i64 value = nk::parse_signed(argv[1], &end, 10);
        if (end == argv[1] || *end != '\0' || value < 0 || value > 255)
            return usage("exit");
        status = int(value);
    }
    context.exit_requested = true;
    context.exit_status = status;
    return status;
}

} // namespace shell::commands
