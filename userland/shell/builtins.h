// The commands the shell runs itself. Each takes its words (argv[0] is the command name) and
// returns the exit status; output goes to context.out, messages to descriptor 2.
#pragma once

#include <nk/error.h>
#include <nk/span.h>
#include <userland/shell/context.h>

namespace shell {

using CommandFunction = int (*)(Context& context, int argc, const char* const* argv);

struct Builtin {
    const char* name;
    const char* synopsis; // "ls [-l] [PATH...]"
    const char* summary;  // one line for `help`
    CommandFunction run;
};

nk::Span<const Builtin> builtins();
// nullptr when `name` is not a builtin.
const Builtin* find_builtin(const char* name);

// Prints "usage: SYNOPSIS" of the builtin `name` on descriptor 2 and returns STATUS_USAGE.
int usage(const char* name);
// Prints "COMMAND: SUBJECT: error text" on descriptor 2 and returns STATUS_FAILURE.
int report(const char* command, const char* subject, nk::Error error);

} // namespace shell
