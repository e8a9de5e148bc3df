#include <kernel/console/scancode_translator.h>

#include <string.h>

namespace kernel::console {

namespace {

constexpr nk::u8 PREFIX_EXTENDED = 0xe0;
constexpr nk::u8 PREFIX_PAUSE = 0xe1;
constexpr nk::u8 BREAK_BIT = 0x80;
constexpr char ESC = 0x1b;
constexpr char DEL = 0x7f;

// Make codes of the keys with state (set 1).
constexpr nk::u8 LEFT_CTRL = 0x1d; // E0 1D: right Ctrl
constexpr nk::u8 LEFT_SHIFT = 0x2a;
constexpr nk::u8 RIGHT_SHIFT = 0x36;
constexpr nk::u8 LEFT_ALT = 0x38; // E0 38: right Alt
constexpr nk::u8 CAPS_LOCK = 0x3a;
constexpr nk::u8 NUM_LOCK = 0x45;
constexpr nk::u8 F1 = 0x3b;  // F1-F10 are 0x3b-0x44
constexpr nk::u8 F11 = 0x57; // F11, F12 are 0x57, 0x58
constexpr nk::u8 KEYPAD_FIRST = 0x47;
constexpr nk::u8 KEYPAD_LAST = 0x53;
constexpr nk::u8 KEYPAD_STAR = 0x37;
constexpr nk::u8 KEYPAD_ENTER = 0x1c; // after E0
constexpr nk::u8 KEYPAD_SLASH = 0x35; // after E0

// Make codes 0x00-0x39 of the main block, US layout: the byte unshifted and with Shift. Zero for
// no byte (the modifier keys); letters are the entries where the two differ by case.
constexpr char NORMAL[] = {
    0,    ESC, '1', '2', '3', '4', '5', '6', '7', '8', '9',  '0', '-', '=',  DEL,
    '\t', 'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p',  '[', ']', '\r', 0,
    'a',  's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0,   '\\', 'z',
    'x',  'c', 'v', 'b', 'n', 'm', ',', '.', '/', 0,   '*',  0,   ' ',
};
constexpr char SHIFTED[] = {
    0,    ESC, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+',  DEL,
    '\t', 'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\r', 0,
    'A',  'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0,   '|',  'Z',
    'X',  'C', 'V', 'B', 'N', 'M', '<', '>', '?', 0,   '*', 0,   ' ',
};
static_assert(sizeof NORMAL == 0x3a && sizeof SHIFTED == 0x3a);

// The keypad 0x47-0x53 with Num Lock on; with it off the keys are the navigation keys below
// (0x4c, the 5, then sends nothing). '-' and '+' do not depend on Num Lock.
constexpr char KEYPAD_DIGITS[] = "789-456+1230.";
static_assert(sizeof KEYPAD_DIGITS - 1 == KEYPAD_LAST - KEYPAD_FIRST + 1);

// xterm's sequences for the editing keypad and function keys (the VT220 "ESC [ n ~" family and
// the cursor keys' "ESC [ letter"), indexed by the make code that follows E0 (or the keypad's
// code without E0). Null: the key sends nothing.
const char* navigation_sequence(nk::u8 code) {
    switch (code) {
    case 0x47:
        return "\x1b[H"; // Home
    case 0x48:
        return "\x1b[A"; // Up
    case 0x49:
        return "\x1b[5~"; // Page Up
    case 0x4b:
        return "\x1b[D"; // Left
    case 0x4d:
        return "\x1b[C"; // Right
    case 0x4f:
        return "\x1b[F"; // End
    case 0x50:
        return "\x1b[B"; // Down
    case 0x51:
        return "\x1b[6~"; // Page Down
    case 0x52:
        return "\x1b[2~"; // Insert
    case 0x53:
        return "\x1b[3~"; // Delete
    default:
        return nullptr;
    }
}

constexpr const char* FUNCTION_KEYS[12] = {
    "\x1bOP",   "\x1bOQ",   "\x1bOR",   "\x1bOS",   "\x1b[15~", "\x1b[17~",
    "\x1b[18~", "\x1b[19~", "\x1b[20~", "\x1b[21~", "\x1b[23~", "\x1b[24~",
};

KeyBytes nothing() {
    return KeyBytes{{}, 0};
}

KeyBytes sequence(const char* text) {
    KeyBytes bytes = nothing();
    if (!text)
        return bytes;
    bytes.length = strlen(text);
    memcpy(bytes.data, text, bytes.length);
    return bytes;
}

// Ctrl with a key gives the ASCII control code whose low five bits the key's character has, for
// the characters where terminals do so: letters, @ [ \ ] ^ _ and space (NUL).
char apply_ctrl(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= '@' && c <= '_'))
        return char(c & 0x1f);
    if (c == ' ')
        return 0;
    if (c == '?')
        return DEL;
    return c;
}

bool is_letter(nk::u8 code) {
    char c = NORMAL[code];
    return c >= 'a' && c <= 'z';
}

} // namespace

KeyBytes ScancodeTranslator::feed(nk::u8 scancode) {
    if (m_pause_remaining) {
        --m_pause_remaining;
        return nothing();
    }
    if (scancode == PREFIX_EXTENDED) {
        m_extended = true;
        return nothing();
    }
    if (scancode == PREFIX_PAUSE) {
        m_extended = false;
        m_pause_remaining = 2; // E1 is followed by two bytes, both for make and for break
        return nothing();
    }
    bool extended = m_extended;
    m_extended = false;
    bool released = scancode & BREAK_BIT;
    nk::u8 code = scancode & nk::u8(~BREAK_BIT);
    return extended ? feed_extended(code, released) : feed_normal(code, released);
}

KeyBytes ScancodeTranslator::feed_normal(nk::u8 code, bool released) {
    switch (code) {
    case LEFT_SHIFT:
        m_left_shift = !released;
        return nothing();
    case RIGHT_SHIFT:
        m_right_shift = !released;
        return nothing();
    case LEFT_CTRL:
        m_left_ctrl = !released;
        return nothing();
    case LEFT_ALT:
        m_left_alt = !released;
        return nothing();
    case CAPS_LOCK:
        if (!released && !m_caps_held)
            m_caps_lock = !m_caps_lock;
        m_caps_held = !released;
        return nothing();
    case NUM_LOCK:
        if (!released && !m_num_held)
            m_num_lock = !m_num_lock;
        m_num_held = !released;
        return nothing();
    default:
        break;
    }
    if (released)
        return nothing();

    if (code < sizeof NORMAL) {
        // Shift+Tab is "back tab" (ECMA-48 CBT), as xterm sends it.
        if (code == 0x0f && shift())
            return sequence("\x1b[Z");
        return character(NORMAL[code], SHIFTED[code], is_letter(code));
    }
    if (code >= F1 && code < F1 + 10)
        return sequence(FUNCTION_KEYS[code - F1]);
    if (code == F11 || code == F11 + 1)
        return sequence(FUNCTION_KEYS[10 + code - F11]);
    if (code >= KEYPAD_FIRST && code <= KEYPAD_LAST) {
        char digit = KEYPAD_DIGITS[code - KEYPAD_FIRST];
        if (m_num_lock || digit == '-' || digit == '+')
            return character(digit, digit, false);
        return sequence(navigation_sequence(code));
    }
    return nothing();
}

KeyBytes ScancodeTranslator::feed_extended(nk::u8 code, bool released) {
    switch (code) {
    case LEFT_CTRL:
        m_right_ctrl = !released;
        return nothing();
    case LEFT_ALT:
        m_right_alt = !released;
        return nothing();
    default:
        break;
    }
    // E0 2A / E0 36 (and their breaks) are the "fake shifts" the keyboard wraps around Print
    // Screen and the navigation keys; they fall through to "nothing" without touching Shift.
    if (released)
        return nothing();
    if (code == KEYPAD_ENTER)
        return character('\r', '\r', false);
    if (code == KEYPAD_SLASH)
        return character('/', '/', false);
    return sequence(navigation_sequence(code));
}

KeyBytes ScancodeTranslator::character(char normal, char shifted, bool letter) const {
    if (normal == 0)
        return nothing();
    bool use_shifted = shift();
    if (letter && m_caps_lock)
        use_shifted = !use_shifted;
    char c = use_shifted ? shifted : normal;
    if (ctrl())
        c = apply_ctrl(c);
    KeyBytes bytes = nothing();
    // Alt sends ESC before the key, the "meta sends escape" convention of terminals.
    if (alt())
        bytes.data[bytes.length++] = ESC;
    bytes.data[bytes.length++] = c;
    return bytes;
}

} // namespace kernel::console
