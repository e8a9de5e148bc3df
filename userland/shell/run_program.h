// Runs a program as a child of the shell and waits for it.
#pragma once

#include <nk/types.h>

namespace shell {

// argv[0] names the program: a word with a '/' is a path, anything else is looked up in /bin.
// The child gets the shell's descriptors 0 and 2 and `out` as its 1. Returns the child's exit
// status, or 127 (not found) / 126 (could not be started) after printing why.
int run_program(const char* const* argv, nk::usize argc, int out);

} // namespace shell
