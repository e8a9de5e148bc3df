// What a command runs with, and what it leaves behind for the shell.
#pragma once

namespace shell {

struct Context {
    // The command's standard output: 1, or the file of a > / >> redirection. Error messages
    // always go to descriptor 2.
    int out = 1;
    // Set by `exit`: the shell ends with exit_status once the command returns.
    bool exit_requested = false;
    int exit_status = 0;
};

// Conventional exit statuses.
constexpr int STATUS_OK = 0;
constexpr int STATUS_FAILURE = 1;
constexpr int STATUS_USAGE = 2;
constexpr int STATUS_CANNOT_EXECUTE = 126;
constexpr int STATUS_NOT_FOUND = 127;
constexpr int STATUS_INTERRUPTED = 130; // the line was abandoned with Ctrl-C

} // namespace shell
