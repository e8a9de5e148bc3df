#include <nk/syscall_abi.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>
#include <userland/shell/builtins.h>
#include <userland/shell/command_parser.h>
#include <userland/shell/execute.h>
#include <userland/shell/run_program.h>

namespace shell {

namespace abi = nk::abi;

int execute_line(Context& context, const char* line, int last_status) {
    // Static: 8 KiB of word storage, and only one line runs at a time.
    static Command command;
    if (ParseError error = parse_command(line, last_status, command); error != ParseError::None) {
        dprintf(2, "shell: syntax error: %s\n", parse_error_message(error));
        return STATUS_USAGE;
    }
    if (command.argc == 0 && !command.output)
        return last_status;

    // The shell opens the file, so builtins and programs alike write to it; a program gets it
    // as its descriptor 1.
    int out = 1;
    if (command.output) {
        nk::u32 flags =
            abi::O_WRONLY | abi::O_CREAT | (command.append ? abi::O_APPEND : abi::O_TRUNC);
        auto fd = sys::open(command.output, flags);
        if (fd.is_error())
            return report("shell", command.output, fd.error());
        out = fd.value();
    }

    // "> FILE" alone just creates (or truncates) FILE.
    int status = STATUS_OK;
    if (command.argc > 0) {
        context.out = out;
        if (const Builtin* builtin = find_builtin(command.argv[0]))
            status = builtin->run(context, int(command.argc), command.argv);
        else
            status = run_program(command.argv, command.argc, out);
        context.out = 1;
    }
    if (command.output)
        (void)sys::close(out);
    return status;
}

} // namespace shell
