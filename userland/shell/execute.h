// Runs one command line: parse, open the redirection, run a builtin or a program.
#pragma once

#include <userland/shell/context.h>

namespace shell {

// Returns the line's exit status, the next $?. An empty line leaves last_status as it was.
int execute_line(Context& context, const char* line, int last_status);

} // namespace shell
