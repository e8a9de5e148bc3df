// Turns a command line into words and an output redirection, the way a POSIX shell would for
// the subset the shell supports:
//   - blanks (space, tab) separate words;
//   - 'single quotes' keep everything literally;
//   - "double quotes" keep everything except \" \\ \$ (escapes) and $?;
//   - outside quotes a backslash makes the next character literal;
//   - $? (outside single quotes) expands to the last exit status, in decimal;
//   - > FILE and >> FILE (also >FILE, and anywhere on the line) redirect standard output,
//     truncating or appending;
//   - | ; & < are refused rather than passed on as words, since a user typing them expects
//     pipes, sequences, background jobs or input redirection; quoted they are ordinary.
// A quoted empty string ('' or "") is an empty word.
#pragma once

#include <nk/types.h>

namespace shell {

enum class ParseError {
    None,
    UnterminatedSingleQuote,
    UnterminatedDoubleQuote,
    TrailingBackslash,
    MissingRedirectionTarget,
    TwoRedirections,
    WordTooLong,
    TooManyWords,
    Pipe,
    Sequence,
    Background,
    InputRedirection,
};

// For "shell: syntax error: <message>".
const char* parse_error_message(ParseError error);

struct Command {
    // abi::MAX_ARGUMENTS, and abi::MAX_ARGUMENT less the NUL: what the kernel accepts for an
    // argument or a path (command_parser.cpp checks them against nk/syscall_abi.h, which is not
    // included here because its SEEK_* constants collide with the host's <cstdio> macros in the
    // host tests).
    static constexpr nk::usize MAX_WORDS = 32;
    static constexpr nk::usize MAX_WORD = 255;

    Command() = default;
    // argv and output point into storage.
    Command(const Command&) = delete;
    Command& operator=(const Command&) = delete;

    nk::usize argc = 0;
    const char* argv[MAX_WORDS + 1] = {}; // argv[argc] is nullptr
    const char* output = nullptr;         // the redirection target, or nullptr
    bool append = false;                  // >> rather than >
    char storage[(MAX_WORDS + 1) * (MAX_WORD + 1)];
};

// Fills `command` from `line`; on an error its contents are unspecified. An empty or blank line
// gives argc 0 and no redirection.
ParseError parse_command(const char* line, int last_status, Command& command);

} // namespace shell
