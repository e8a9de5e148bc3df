// The shell: reads the console byte by byte, edits the line itself (the console is raw), and
// runs each finished line. Prompt: "nk> ".
#include <userland/lib/io.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>
#include <userland/shell/context.h>
#include <userland/shell/execute.h>
#include <userland/shell/line_editor.h>

namespace {

constexpr char PROMPT[] = "nk> ";

// Collects the editor's echo so that a burst of input (a paste, an escape sequence) costs one
// Write rather than one per byte.
struct EchoBuffer {
    static constexpr nk::usize capacity = 512;
    char data[capacity];
    nk::usize used = 0;

    void append(const char* bytes, nk::usize length) {
        while (length > 0) {
            if (used == capacity)
                flush();
            nk::usize piece = nk::min(length, capacity - used);
            for (nk::usize i = 0; i < piece; ++i)
                data[used + i] = bytes[i];
            used += piece;
            bytes += piece;
            length -= piece;
        }
    }
    void flush() {
        if (used > 0)
            (void)user::write_all(user::STDOUT, data, used);
        used = 0;
    }
};

EchoBuffer echo_buffer;

void echo_to_console(void*, const char* data, nk::usize length) {
    echo_buffer.append(data, length);
}

} // namespace

int main(int, char**) {
    // Static: the editor holds the history, some 64 KiB.
    static shell::LineEditor editor(echo_to_console, nullptr);
    shell::Context context;
    int status = shell::STATUS_OK;

    echo_buffer.append(PROMPT, sizeof(PROMPT) - 1);
    echo_buffer.flush();
    for (;;) {
        char input[64];
        auto got = sys::read(user::STDIN, input, sizeof(input));
        if (got.is_error()) {
            dprintf(user::STDERR, "shell: reading the console: %s\n",
                    nk::error_string(got.error()));
            return 1;
        }
        // End of input: nobody is left to type.
        if (got.value() == 0)
            return status;
        for (nk::usize i = 0; i < got.value(); ++i) {
            auto event = editor.feed(input[i]);
            if (event == shell::LineEditor::Event::None)
                continue;
            if (event == shell::LineEditor::Event::Line) {
                // The echo (ending in the newline) must reach the screen before the output.
                echo_buffer.flush();
                status = shell::execute_line(context, editor.line(), status);
                if (context.exit_requested)
                    return context.exit_status;
            } else {
                status = shell::STATUS_INTERRUPTED;
            }
            echo_buffer.append(PROMPT, sizeof(PROMPT) - 1);
        }
        echo_buffer.flush();
    }
}
