#include <nk_ctype.h>
#include <nk_string.h>
#include <userland/shell/line_editor.h>

namespace shell {

using nk::usize;

namespace {

constexpr char ESCAPE = 0x1b;

constexpr char control(char letter) {
    return static_cast<char>(letter & 0x1f);
}

bool is_blank(const char* text) {
    for (; *text; ++text) {
        if (*text != ' ' && *text != '\t')
            return false;
    }
    return true;
}

} // namespace

LineEditor::Event LineEditor::feed(char byte) {
    // A terminal that ends lines with "\r\n" must not produce an empty line after each one.
    bool after_cr = m_last_was_cr;
    m_last_was_cr = byte == '\r';
    if (byte == '\n' && after_cr && m_state == State::Normal)
        return Event::None;
    if (m_finished) {
        m_finished = false;
        m_length = m_cursor = 0;
        m_line[0] = '\0';
    }

    auto unsigned_byte = static_cast<unsigned char>(byte);
    switch (m_state) {
    case State::Normal:
        break;
    case State::Escape:
        if (byte == '[') {
            m_state = State::Csi;
            m_csi_parameter = 0;
            m_csi_first_parameter = true;
            return Event::None;
        }
        if (byte == 'O') {
            m_state = State::Ss3;
            return Event::None;
        }
        // A lone ESC: the byte after it is an ordinary key.
        m_state = State::Normal;
        break;
    case State::Csi:
        // ECMA-48 5.4: parameter bytes 0x30-0x3f, intermediate bytes 0x20-0x2f, then one final
        // byte 0x40-0x7e. Only the first numeric parameter matters to the keys handled here.
        if (nk::is_digit(unsigned_byte)) {
            if (m_csi_first_parameter && m_csi_parameter < 1000)
                m_csi_parameter = m_csi_parameter * 10 + unsigned(byte - '0');
            return Event::None;
        }
        if (unsigned_byte >= 0x20 && unsigned_byte <= 0x3f) {
            if (byte == ';')
                m_csi_first_parameter = false;
            return Event::None;
        }
        m_state = State::Normal;
        if (unsigned_byte >= 0x40 && unsigned_byte <= 0x7e) {
            finish_csi(byte);
            return Event::None;
        }
        // A control byte cuts the sequence short and counts as itself (Enter must not be lost).
        break;
    case State::Ss3:
        m_state = State::Normal;
        if (unsigned_byte >= 0x40 && unsigned_byte <= 0x7e) {
            finish_ss3(byte);
            return Event::None;
        }
        break;
    }
    return feed_normal(byte);
}

LineEditor::Event LineEditor::feed_normal(char byte) {
    switch (byte) {
    case '\r':
    case '\n':
        return finish_line();
    case control('C'):
        return cancel_line();
    case 0x7f:
    case '\b':
        delete_before_cursor();
        break;
    case control('U'):
        replace_line("");
        break;
    case control('K'):
        delete_to_end();
        break;
    case control('A'):
        press(Key::Home);
        break;
    case control('E'):
        press(Key::End);
        break;
    case control('B'):
        press(Key::Left);
        break;
    case control('F'):
        press(Key::Right);
        break;
    case ESCAPE:
        m_state = State::Escape;
        break;
    default:
        if (nk::is_print(static_cast<unsigned char>(byte)))
            insert(byte);
        break;
    }
    return Event::None;
}

// xterm and the Linux console send ESC [ A..D for the arrows, ESC [ H / F or ESC [ 1 ~ / 4 ~ (7 ~
// / 8 ~ in rxvt) for Home/End, ESC [ 3 ~ for Delete.
void LineEditor::finish_csi(char final_byte) {
    switch (final_byte) {
    case '~':
        if (m_csi_parameter == 1 || m_csi_parameter == 7)
            press(Key::Home);
        else if (m_csi_parameter == 4 || m_csi_parameter == 8)
            press(Key::End);
        else if (m_csi_parameter == 3)
            press(Key::Delete);
        break;
    default:
        finish_ss3(final_byte);
        break;
    }
}

// In "application cursor" mode the same keys arrive as ESC O A..D, ESC O H / F.
void LineEditor::finish_ss3(char final_byte) {
    switch (final_byte) {
    case 'A':
        press(Key::Up);
        break;
    case 'B':
        press(Key::Down);
        break;
    case 'C':
        press(Key::Right);
        break;
    case 'D':
        press(Key::Left);
        break;
    case 'H':
        press(Key::Home);
        break;
    case 'F':
        press(Key::End);
        break;
    default:
        break;
    }
}

void LineEditor::press(Key key) {
    switch (key) {
    case Key::Left:
        move_left(1);
        break;
    case Key::Right:
        move_right(1);
        break;
    case Key::Home:
        move_left(m_cursor);
        break;
    case Key::End:
        move_right(m_length - m_cursor);
        break;
    case Key::Delete:
        delete_at_cursor();
        break;
    case Key::Up:
        if (m_browse < m_history_count) {
            if (m_browse == 0)
                nk::copy_memory(m_saved, m_line, m_length + 1);
            ++m_browse;
            replace_line(history_entry(m_browse - 1));
        }
        break;
    case Key::Down:
        if (m_browse > 0) {
            --m_browse;
            replace_line(m_browse == 0 ? m_saved : history_entry(m_browse - 1));
        }
        break;
    }
}

void LineEditor::insert(char c) {
    if (m_length == MAX_LINE)
        return;
    // Shift the tail and its NUL one place right.
    nk::move_memory(m_line + m_cursor + 1, m_line + m_cursor, m_length - m_cursor + 1);
    m_line[m_cursor] = c;
    ++m_length;
    echo(&c, 1);
    ++m_cursor;
    redraw_tail(0);
}

void LineEditor::delete_before_cursor() {
    if (m_cursor == 0)
        return;
    nk::move_memory(m_line + m_cursor - 1, m_line + m_cursor, m_length - m_cursor + 1);
    --m_cursor;
    --m_length;
    echo("\b", 1);
    redraw_tail(1);
}

void LineEditor::delete_at_cursor() {
    if (m_cursor == m_length)
        return;
    nk::move_memory(m_line + m_cursor, m_line + m_cursor + 1, m_length - m_cursor);
    --m_length;
    redraw_tail(1);
}

void LineEditor::delete_to_end() {
    usize erased = m_length - m_cursor;
    m_length = m_cursor;
    m_line[m_length] = '\0';
    redraw_tail(erased);
}

void LineEditor::move_left(usize count) {
    count = nk::min(count, m_cursor);
    echo_repeated('\b', count);
    m_cursor -= count;
}

void LineEditor::move_right(usize count) {
    count = nk::min(count, m_length - m_cursor);
    // Writing the characters already there moves the cursor without needing an escape sequence.
    echo(m_line + m_cursor, count);
    m_cursor += count;
}

void LineEditor::replace_line(const char* text) {
    move_left(m_cursor);
    usize old_length = m_length;
    m_length = nk::string_length_bounded(text, MAX_LINE);
    // text may be m_saved or a history slot, never m_line itself.
    nk::copy_memory(m_line, text, m_length);
    m_line[m_length] = '\0';
    echo(m_line, m_length);
    m_cursor = m_length;
    if (old_length > m_length) {
        echo_repeated(' ', old_length - m_length);
        echo_repeated('\b', old_length - m_length);
    }
}

LineEditor::Event LineEditor::finish_line() {
    echo("\n", 1);
    add_history(m_line);
    m_browse = 0;
    m_finished = true;
    return Event::Line;
}

LineEditor::Event LineEditor::cancel_line() {
    // "^C" goes after the whole line, not over its tail.
    move_right(m_length - m_cursor);
    echo("^C\n", 3);
    m_length = m_cursor = 0;
    m_line[0] = '\0';
    m_browse = 0;
    m_finished = true;
    return Event::Cancelled;
}

void LineEditor::add_history(const char* text) {
    if (is_blank(text))
        return;
    if (m_history_count > 0 && nk::compare_strings(history_entry(0), text) == 0)
        return;
    if (m_history_count > 0)
        m_history_newest = (m_history_newest + 1) % HISTORY_SIZE;
    nk::copy_memory(m_history[m_history_newest], text, nk::string_length(text) + 1);
    if (m_history_count < HISTORY_SIZE)
        ++m_history_count;
}

const char* LineEditor::history_entry(usize newest_first) const {
    if (newest_first >= m_history_count)
        return nullptr;
    return m_history[(m_history_newest + HISTORY_SIZE - newest_first) % HISTORY_SIZE];
}

void LineEditor::redraw_tail(usize erased) {
    usize tail = m_length - m_cursor;
    echo(m_line + m_cursor, tail);
    echo_repeated(' ', erased);
    echo_repeated('\b', tail + erased);
}

void LineEditor::echo_repeated(char c, usize count) {
    char chunk[32];
    nk::fill_memory(chunk, c, sizeof(chunk));
    while (count > 0) {
        usize piece = nk::min(count, sizeof(chunk));
        echo(chunk, piece);
        count -= piece;
    }
}

} // namespace shell
