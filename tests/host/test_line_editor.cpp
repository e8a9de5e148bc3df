#include <catch2/catch.hpp>

#include <userland/shell/line_editor.h>

#include <memory>
#include <string>
#include <vector>

using shell::LineEditor;
using Event = LineEditor::Event;

namespace {

// A one-line terminal: printable bytes overwrite at the cursor, '\b' moves left without erasing
// (as a VT100 does), '\n' ends the line. Replaying the echo on it shows what the user would see.
struct Screen {
    std::vector<std::string> finished_lines;
    std::string row;
    size_t column = 0;

    void apply(const std::string& bytes) {
        for (char c : bytes) {
            if (c == '\b') {
                REQUIRE(column > 0); // the editor never steps left past the prompt
                --column;
            } else if (c == '\n') {
                finished_lines.push_back(row);
                row.clear();
                column = 0;
            } else {
                REQUIRE(c >= 0x20);
                REQUIRE(c < 0x7f);
                if (column == row.size())
                    row.push_back(c);
                else
                    row[column] = c;
                ++column;
            }
        }
    }
    // The row without the blanks left where text was erased.
    std::string visible() const { return row.substr(0, row.find_last_not_of(' ') + 1); }
};

struct Harness {
    std::string echo;
    Screen screen;
    std::unique_ptr<LineEditor> editor;

    Harness() {
        editor = std::make_unique<LineEditor>(
            [](void* context, const char* data, size_t length) {
                static_cast<Harness*>(context)->echo.append(data, length);
            },
            this);
    }

    // Feeds every byte; returns the last event that was not None (None if there was none).
    Event type(const std::string& bytes) {
        Event last = Event::None;
        for (char c : bytes) {
            Event event = editor->feed(c);
            if (event != Event::None)
                last = event;
        }
        screen.apply(echo);
        echo.clear();
        return last;
    }

    // After every edit, the screen must show the line (then only blanks) with the terminal
    // cursor on the editor's.
    void check_screen() const {
        std::string line = editor->line();
        CHECK(screen.row.substr(0, line.size()) == line);
        if (screen.row.size() > line.size())
            CHECK(screen.row.find_first_not_of(' ', line.size()) == std::string::npos);
        CHECK(screen.column == editor->cursor());
    }
};

const std::string LEFT = "\x1b[D";
const std::string RIGHT = "\x1b[C";
const std::string UP = "\x1b[A";
const std::string DOWN = "\x1b[B";
const std::string HOME = "\x1b[H";
const std::string END = "\x1b[F";
const std::string DELETE = "\x1b[3~";
const std::string BACKSPACE = "\x7f";

} // namespace

TEST_CASE("line editor: typed characters are echoed and finished by CR or LF", "[line_editor]") {
    Harness h;
    CHECK(h.type("echo hi") == Event::None);
    CHECK(h.echo.empty());
    CHECK(h.screen.row == "echo hi");
    h.check_screen();
    CHECK(h.type("\r") == Event::Line);
    CHECK(std::string(h.editor->line()) == "echo hi");
    CHECK(h.screen.finished_lines == std::vector<std::string>{"echo hi"});

    CHECK(h.type("ls\n") == Event::Line);
    CHECK(std::string(h.editor->line()) == "ls");
}

TEST_CASE("line editor: CR LF ends one line, not two", "[line_editor]") {
    Harness h;
    CHECK(h.type("a\r") == Event::Line);
    CHECK(h.type("\n") == Event::None);
    CHECK(h.type("b\r\n") == Event::Line);
    CHECK(std::string(h.editor->line()) == "b");
    CHECK(h.type("\n") == Event::Line); // a lone LF after a finished line is a new empty line
    CHECK(std::string(h.editor->line()).empty());
    CHECK(h.screen.finished_lines.size() == 3);
}

TEST_CASE("line editor: backspace deletes before the cursor, both 0x7f and 0x08", "[line_editor]") {
    Harness h;
    h.type("cat x" + BACKSPACE + "\b");
    CHECK(std::string(h.editor->line()) == "cat");
    h.check_screen();
    h.type(BACKSPACE + BACKSPACE + BACKSPACE + BACKSPACE + BACKSPACE);
    CHECK(h.editor->length() == 0);
    h.check_screen();
}

TEST_CASE("line editor: arrows move the cursor and inserts go in the middle", "[line_editor]") {
    Harness h;
    h.type("ecxo");
    h.type(LEFT + LEFT);
    CHECK(h.editor->cursor() == 2);
    h.check_screen();
    h.type("h");
    CHECK(std::string(h.editor->line()) == "echxo");
    h.check_screen();
    h.type(RIGHT);
    h.type(BACKSPACE);
    CHECK(std::string(h.editor->line()) == "echo");
    h.check_screen();
    // Moving past either end is ignored.
    h.type(LEFT + LEFT + LEFT + LEFT + LEFT + LEFT);
    CHECK(h.editor->cursor() == 0);
    h.type(BACKSPACE);
    CHECK(std::string(h.editor->line()) == "echo");
    h.type(RIGHT + RIGHT + RIGHT + RIGHT + RIGHT + RIGHT);
    CHECK(h.editor->cursor() == 4);
    h.check_screen();
}

TEST_CASE("line editor: home, end, delete and their control keys", "[line_editor]") {
    Harness h;
    h.type("hello world");
    h.type(HOME);
    CHECK(h.editor->cursor() == 0);
    h.type(DELETE);
    CHECK(std::string(h.editor->line()) == "ello world");
    h.check_screen();
    h.type(END);
    CHECK(h.editor->cursor() == 10);
    h.type("\x01"); // Ctrl-A
    CHECK(h.editor->cursor() == 0);
    h.type("\x05"); // Ctrl-E
    CHECK(h.editor->cursor() == 10);
    h.type("\x1b[1~"); // Home as the Linux console sends it
    CHECK(h.editor->cursor() == 0);
    h.type("\x1b[4~");
    CHECK(h.editor->cursor() == 10);
    h.type("\x1bOH"); // application mode
    CHECK(h.editor->cursor() == 0);
    h.type("\x06\x06\x06\x06\x06"); // Ctrl-F
    h.type("\x02");                 // Ctrl-B
    CHECK(h.editor->cursor() == 4);
    h.type("\x0b"); // Ctrl-K
    CHECK(std::string(h.editor->line()) == "ello");
    h.check_screen();
    h.type(DELETE); // at the end: nothing
    CHECK(std::string(h.editor->line()) == "ello");
}

TEST_CASE("line editor: Ctrl-U kills the whole line", "[line_editor]") {
    Harness h;
    h.type("rm important" + LEFT + LEFT);
    h.type("\x15");
    CHECK(h.editor->length() == 0);
    CHECK(h.editor->cursor() == 0);
    h.check_screen();
    CHECK(h.screen.visible().empty());
    h.type("ls\r");
    CHECK(std::string(h.editor->line()) == "ls");
}

TEST_CASE("line editor: Ctrl-C abandons the line and echoes ^C", "[line_editor]") {
    Harness h;
    h.type("some text" + LEFT + LEFT + LEFT);
    CHECK(h.type("\x03") == Event::Cancelled);
    REQUIRE(h.screen.finished_lines.size() == 1);
    CHECK(h.screen.finished_lines[0] == "some text^C");
    CHECK(h.editor->length() == 0);
    // A cancelled line is not history.
    CHECK(h.editor->history_count() == 0);
    CHECK(h.type("pwd\r") == Event::Line);
    CHECK(std::string(h.editor->line()) == "pwd");
}

TEST_CASE("line editor: up and down walk the history and restore the fresh line", "[line_editor]") {
    Harness h;
    h.type("first\r");
    h.type("second command\r");
    h.type("third\r");
    h.type("draft");
    h.type(UP);
    CHECK(std::string(h.editor->line()) == "third");
    h.check_screen();
    h.type(UP);
    CHECK(std::string(h.editor->line()) == "second command");
    h.check_screen();
    h.type(UP);
    CHECK(std::string(h.editor->line()) == "first");
    h.check_screen();
    h.type(UP); // no older entry
    CHECK(std::string(h.editor->line()) == "first");
    h.type(DOWN + DOWN);
    CHECK(std::string(h.editor->line()) == "third");
    h.type(DOWN);
    CHECK(std::string(h.editor->line()) == "draft");
    h.check_screen();
    h.type(DOWN);
    CHECK(std::string(h.editor->line()) == "draft");

    // An entry recalled and finished runs as typed and lands on top (once).
    h.type("\x15" + UP + UP);
    CHECK(h.type("\r") == Event::Line);
    CHECK(std::string(h.editor->line()) == "second command");
    CHECK(std::string(h.editor->history_entry(0)) == "second command");
    CHECK(std::string(h.editor->history_entry(1)) == "third");
}

TEST_CASE("line editor: history skips blanks and repeats and keeps the newest 32",
          "[line_editor]") {
    Harness h;
    h.type("\r   \r");
    CHECK(h.editor->history_count() == 0);
    h.type("same\rsame\r");
    CHECK(h.editor->history_count() == 1);
    for (int i = 0; i < 40; ++i)
        h.type("cmd" + std::to_string(i) + "\r");
    CHECK(h.editor->history_count() == LineEditor::HISTORY_SIZE);
    CHECK(std::string(h.editor->history_entry(0)) == "cmd39");
    CHECK(std::string(h.editor->history_entry(31)) == "cmd8");
    CHECK(h.editor->history_entry(32) == nullptr);
    for (int i = 0; i < 40; ++i)
        h.type(UP);
    CHECK(std::string(h.editor->line()) == "cmd8");
}

TEST_CASE("line editor: a shorter history entry blanks the rest of a longer line",
          "[line_editor]") {
    Harness h;
    h.type("ls\r");
    h.type("a much longer line being typed" + LEFT + LEFT);
    h.type(UP);
    CHECK(std::string(h.editor->line()) == "ls");
    h.check_screen();
    CHECK(h.screen.visible() == "ls");
}

TEST_CASE("line editor: unknown sequences, control bytes and non-ASCII are ignored",
          "[line_editor]") {
    Harness h;
    h.type("a\x1b[1;5Cb");         // Ctrl-Right: a CSI with two parameters
    h.type("\x1b[99~c");           // an unknown tilde key
    h.type("\x1b[200~d\x1b[201~"); // bracketed paste markers
    h.type("\t\x07\x80\xff"
           "e");
    h.type("\x1bOPf"); // F1
    CHECK(std::string(h.editor->line()) == "abcdef");
    h.check_screen();
}

TEST_CASE("line editor: Enter inside an escape sequence still finishes the line", "[line_editor]") {
    Harness h;
    h.type("x");
    CHECK(h.type("\x1b[\r") == Event::Line);
    CHECK(std::string(h.editor->line()) == "x");
    h.type("y");
    CHECK(h.type("\x1b\r") == Event::Line); // a lone ESC
    CHECK(std::string(h.editor->line()) == "y");
}

TEST_CASE("line editor: the line is bounded", "[line_editor]") {
    Harness h;
    h.type(std::string(LineEditor::MAX_LINE + 50, 'z'));
    CHECK(h.editor->length() == LineEditor::MAX_LINE);
    h.check_screen();
    h.type(HOME + "q");
    CHECK(h.editor->length() == LineEditor::MAX_LINE);
    CHECK(h.editor->line()[0] == 'z');
    CHECK(h.type("\r") == Event::Line);
    CHECK(std::string(h.editor->line()) == std::string(LineEditor::MAX_LINE, 'z'));
}

TEST_CASE("line editor: random editing keeps screen and buffer in step", "[line_editor]") {
    // A deterministic mix of every editing key; after each one the terminal must show exactly
    // the buffer with the cursor in the same place.
    const std::vector<std::string> keys = {"a", "b",    "c",       " ",    LEFT, RIGHT, HOME,
                                           END, DELETE, BACKSPACE, "\x0b", UP,   DOWN,  "\x15"};
    Harness h;
    h.type("history one\rtwo\r");
    unsigned state = 12345;
    for (int i = 0; i < 3000; ++i) {
        state = state * 1103515245 + 12345;
        h.type(keys[(state >> 16) % keys.size()]);
        h.check_screen();
    }
}
