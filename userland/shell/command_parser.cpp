#include <format.h>
#include <nk/syscall_abi.h>
#include <userland/shell/command_parser.h>

namespace shell {

using nk::usize;

namespace {

static_assert(Command::MAX_WORDS == nk::abi::MAX_ARGUMENTS);
static_assert(Command::MAX_WORD == nk::abi::MAX_ARGUMENT - 1);
static_assert(nk::abi::MAX_PATH >= nk::abi::MAX_ARGUMENT, "a redirection target is a word");
static_assert(Command::MAX_WORD == 255 && Command::MAX_WORDS == 32,
              "update the limits in parse_error_message");

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

bool ends_word(char c) {
    return c == '\0' || is_blank(c) || c == '>' || c == '|' || c == ';' || c == '&' || c == '<';
}

class Parser {
public:
    Parser(const char* line, int last_status, Command& command)
        : m_position(line), m_last_status(last_status), m_command(command) {}

    ParseError run() {
        m_command.argc = 0;
        m_command.output = nullptr;
        m_command.append = false;
        bool redirection_pending = false;
        for (;;) {
            while (is_blank(*m_position))
                ++m_position;
            char c = *m_position;
            if (c == '\0')
                break;
            switch (c) {
            case '>':
                if (redirection_pending)
                    return ParseError::MissingRedirectionTarget;
                if (m_command.output)
                    return ParseError::TwoRedirections;
                m_command.append = m_position[1] == '>';
                m_position += m_command.append ? 2 : 1;
                redirection_pending = true;
                continue;
            case '|':
                return ParseError::Pipe;
            case ';':
                return ParseError::Sequence;
            case '&':
                return ParseError::Background;
            case '<':
                return ParseError::InputRedirection;
            default:
                break;
            }
            if (!redirection_pending && m_command.argc == Command::MAX_WORDS)
                return ParseError::TooManyWords;
            const char* word = nullptr;
            if (ParseError error = read_word(word); error != ParseError::None)
                return error;
            if (redirection_pending) {
                m_command.output = word;
                redirection_pending = false;
            } else {
                m_command.argv[m_command.argc++] = word;
            }
        }
        if (redirection_pending)
            return ParseError::MissingRedirectionTarget;
        m_command.argv[m_command.argc] = nullptr;
        return ParseError::None;
    }

private:
    // Reads one word starting at a character that does not end words.
    ParseError read_word(const char*& word) {
        m_word = m_command.storage + m_used;
        m_word_length = 0;
        const char*& p = m_position;
        while (!ends_word(*p)) {
            if (*p == '\'') {
                for (++p; *p != '\''; ++p) {
                    if (*p == '\0')
                        return ParseError::UnterminatedSingleQuote;
                    if (!append(*p))
                        return ParseError::WordTooLong;
                }
                ++p;
            } else if (*p == '"') {
                for (++p; *p != '"';) {
                    if (*p == '\0')
                        return ParseError::UnterminatedDoubleQuote;
                    if (ParseError error = read_unquoted_or_escaped(p, true);
                        error != ParseError::None)
                        return error;
                }
                ++p;
            } else if (ParseError error = read_unquoted_or_escaped(p, false);
                       error != ParseError::None) {
                return error;
            }
        }
        m_word[m_word_length] = '\0';
        m_used += m_word_length + 1;
        word = m_word;
        return ParseError::None;
    }

    // One character, escape or $? at p, outside quotes or inside double quotes.
    ParseError read_unquoted_or_escaped(const char*& p, bool double_quoted) {
        bool fits;
        if (*p == '\\' && double_quoted) {
            // Inside double quotes a backslash escapes only what would otherwise be special.
            if (p[1] == '"' || p[1] == '\\' || p[1] == '$') {
                fits = append(p[1]);
                p += 2;
            } else {
                fits = append(*p++);
            }
        } else if (*p == '\\') {
            if (p[1] == '\0')
                return ParseError::TrailingBackslash;
            fits = append(p[1]);
            p += 2;
        } else if (*p == '$' && p[1] == '?') {
            fits = append_status();
            p += 2;
        } else {
            fits = append(*p++);
        }
        return fits ? ParseError::None : ParseError::WordTooLong;
    }

    bool append(char c) {
        if (m_word_length == Command::MAX_WORD)
            return false;
        m_word[m_word_length++] = c;
        return true;
    }

    bool append_status() {
        char digits[16];
        nk::format_to_buffer(digits, sizeof(digits), "%d", m_last_status);
        for (const char* d = digits; *d; ++d) {
            if (!append(*d))
                return false;
        }
        return true;
    }

    const char* m_position;
    int m_last_status;
    Command& m_command;
    // Storage holds at most MAX_WORDS words and one redirection target of at most MAX_WORD
    // characters each, so it cannot overflow.
    usize m_used = 0;
    char* m_word = nullptr;
    usize m_word_length = 0;
};

} // namespace

ParseError parse_command(const char* line, int last_status, Command& command) {
    return Parser(line, last_status, command).run();
}

const char* parse_error_message(ParseError error) {
    switch (error) {
    case ParseError::None:
        return "no error";
    case ParseError::UnterminatedSingleQuote:
        return "unterminated single quote (')";
    case ParseError::UnterminatedDoubleQuote:
        return "unterminated double quote (\")";
    case ParseError::TrailingBackslash:
        return "backslash at the end of the line";
    case ParseError::MissingRedirectionTarget:
        return "missing file name after '>'";
    case ParseError::TwoRedirections:
        return "only one output redirection is allowed";
    case ParseError::WordTooLong:
        return "word longer than 255 characters";
    case ParseError::TooManyWords:
        return "more than 32 words";
    case ParseError::Pipe:
        return "pipes ('|') are not supported; quote the character to use it literally";
    case ParseError::Sequence:
        return "command lists (';') are not supported; quote the character to use it literally";
    case ParseError::Background:
        return "background jobs ('&') are not supported; quote the character to use it literally";
    case ParseError::InputRedirection:
        return "input redirection ('<') is not supported; quote the character to use it literally";
    }
    return "unknown error";
}

} // namespace shell
