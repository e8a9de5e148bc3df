// The shell's line editor: a state machine fed the raw bytes a terminal sends, producing the
// edited line and the bytes to echo so the screen shows it. The console does no echo or line
// buffering of its own.
//
// Keys: printable characters insert at the cursor; Backspace (0x7f or 0x08) deletes before it,
// Delete (ESC [ 3 ~) at it; Left/Right (ESC [ D / ESC [ C, Ctrl-B / Ctrl-F) move; Home/End
// (ESC [ H / ESC [ F and their variants, Ctrl-A / Ctrl-E) jump; Up/Down (ESC [ A / ESC [ B) walk
// the history; Ctrl-U clears the line, Ctrl-K deletes to its end; Ctrl-C abandons it (echoing
// "^C"); '\r' or '\n' finishes it ("\r\n" counts once). Other control bytes, bytes >= 0x80 and
// unknown escape sequences are ignored.
//
// Echo uses only printable characters, ' ' to blank, '\b' to step the cursor left and '\n': a
// VT100 and a plain serial terminal show the same thing. '\b' must not erase.
#pragma once

#include <nk/types.h>

namespace shell {

// Receives echo bytes in pieces; the caller batches them as it likes.
using EchoSink = void (*)(void* context, const char* data, nk::usize length);

class LineEditor {
public:
    static constexpr nk::usize MAX_LINE = 1000; // characters, without the NUL
    static constexpr nk::usize HISTORY_SIZE = 32;

    enum class Event {
        None,      // still editing
        Line,      // a line was finished: line() holds it
        Cancelled, // Ctrl-C: the line was abandoned
    };

    LineEditor(EchoSink echo, void* context) : m_echo(echo), m_echo_context(context) {}
    LineEditor(const LineEditor&) = delete;
    LineEditor& operator=(const LineEditor&) = delete;

    // After Event::Line or Event::Cancelled, the next byte starts a new, empty line.
    Event feed(char byte);

    // The line being edited, or the one just finished (until the next feed()); NUL-terminated.
    const char* line() const { return m_line; }
    nk::usize length() const { return m_length; }
    nk::usize cursor() const { return m_cursor; }

    // History, newest first; finished non-blank lines are added, except a repeat of the newest.
    nk::usize history_count() const { return m_history_count; }
    const char* history_entry(nk::usize newest_first) const;

private:
    enum class State { Normal, Escape, Csi, Ss3 };
    enum class Key { Up, Down, Left, Right, Home, End, Delete };

    Event feed_normal(char byte);
    void finish_csi(char final_byte);
    void finish_ss3(char final_byte);
    void press(Key key);

    void insert(char c);
    void delete_before_cursor();
    void delete_at_cursor();
    void delete_to_end();
    void move_left(nk::usize count);
    void move_right(nk::usize count);
    void replace_line(const char* text);
    Event finish_line();
    Event cancel_line();
    void add_history(const char* text);

    // Redraws from the cursor to the end of the line after a change there, blanks `erased`
    // leftover cells, and steps back to the cursor.
    void redraw_tail(nk::usize erased);
    void echo(const char* data, nk::usize length) {
        if (length > 0)
            m_echo(m_echo_context, data, length);
    }
    void echo_repeated(char c, nk::usize count);

    EchoSink m_echo;
    void* m_echo_context;

    char m_line[MAX_LINE + 1] = {};
    nk::usize m_length = 0;
    nk::usize m_cursor = 0;
    bool m_finished = false; // the next byte starts a new line
    bool m_last_was_cr = false;

    State m_state = State::Normal;
    unsigned m_csi_parameter = 0;
    bool m_csi_first_parameter = true;

    // A ring of the last HISTORY_SIZE lines; m_history_newest is the slot of the newest.
    char m_history[HISTORY_SIZE][MAX_LINE + 1] = {};
    nk::usize m_history_count = 0;
    nk::usize m_history_newest = 0;
    // 0 while editing a fresh line; n while showing the n-th newest history entry.
    nk::usize m_browse = 0;
    // The fresh line, kept while browsing so that walking back down restores it.
    char m_saved[MAX_LINE + 1] = {};
};

} // namespace shell
