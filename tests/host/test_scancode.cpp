#include <catch2/catch.hpp>

#include <kernel/console/scancode_translator.h>

#include <initializer_list>
#include <string>

using kernel::console::KeyBytes;
using kernel::console::ScancodeTranslator;
using nk::u8;

namespace {

// Scancode set 1 make codes used below; a break code is make | 0x80.
constexpr u8 ESCAPE = 0x01;
constexpr u8 KEY_1 = 0x02;
constexpr u8 KEY_2 = 0x03;
constexpr u8 KEY_0 = 0x0b;
constexpr u8 MINUS = 0x0c;
constexpr u8 BACKSPACE = 0x0e;
constexpr u8 TAB = 0x0f;
constexpr u8 KEY_Q = 0x10;
constexpr u8 LEFT_BRACKET = 0x1a;
constexpr u8 ENTER = 0x1c;
constexpr u8 CTRL = 0x1d;
constexpr u8 KEY_A = 0x1e;
constexpr u8 KEY_L = 0x26;
constexpr u8 SEMICOLON = 0x27;
constexpr u8 QUOTE = 0x28;
constexpr u8 BACKTICK = 0x29;
constexpr u8 LEFT_SHIFT = 0x2a;
constexpr u8 BACKSLASH = 0x2b;
constexpr u8 KEY_Z = 0x2c;
constexpr u8 KEY_C = 0x2e;
constexpr u8 KEY_M = 0x32;
constexpr u8 COMMA = 0x33;
constexpr u8 SLASH = 0x35;
constexpr u8 RIGHT_SHIFT = 0x36;
constexpr u8 KEYPAD_STAR = 0x37;
constexpr u8 ALT = 0x38;
constexpr u8 SPACE = 0x39;
constexpr u8 CAPS_LOCK = 0x3a;
constexpr u8 F1 = 0x3b;
constexpr u8 F5 = 0x3f;
constexpr u8 F10 = 0x44;
constexpr u8 NUM_LOCK = 0x45;
constexpr u8 KEYPAD_7 = 0x47;
constexpr u8 KEYPAD_8 = 0x48;
constexpr u8 KEYPAD_5 = 0x4c;
constexpr u8 KEYPAD_MINUS = 0x4a;
constexpr u8 KEYPAD_DOT = 0x53;
constexpr u8 F11 = 0x57;
constexpr u8 F12 = 0x58;
constexpr u8 E0 = 0xe0;
constexpr u8 RELEASE = 0x80;

std::string feed(ScancodeTranslator& translator, std::initializer_list<u8> scancodes) {
    std::string out;
    for (u8 scancode : scancodes) {
        KeyBytes bytes = translator.feed(scancode);
        REQUIRE(bytes.length <= KeyBytes::CAPACITY);
        out.append(bytes.data, bytes.length);
    }
    return out;
}

// Press and release one key.
std::string tap(ScancodeTranslator& translator, u8 make) {
    return feed(translator, {make, u8(make | RELEASE)});
}

std::string tap_extended(ScancodeTranslator& translator, u8 make) {
    return feed(translator, {E0, make, E0, u8(make | RELEASE)});
}

} // namespace

TEST_CASE("keyboard: letters, digits and punctuation unshifted", "[keyboard]") {
    ScancodeTranslator t;
    CHECK(tap(t, KEY_A) == "a");
    CHECK(tap(t, KEY_Q) == "q");
    CHECK(tap(t, KEY_Z) == "z");
    CHECK(tap(t, KEY_M) == "m");
    CHECK(tap(t, KEY_L) == "l");
    CHECK(tap(t, KEY_1) == "1");
    CHECK(tap(t, KEY_0) == "0");
    CHECK(tap(t, MINUS) == "-");
    CHECK(tap(t, LEFT_BRACKET) == "[");
    CHECK(tap(t, SEMICOLON) == ";");
    CHECK(tap(t, QUOTE) == "'");
    CHECK(tap(t, BACKTICK) == "`");
    CHECK(tap(t, BACKSLASH) == "\\");
    CHECK(tap(t, COMMA) == ",");
    CHECK(tap(t, SLASH) == "/");
    CHECK(tap(t, SPACE) == " ");
    CHECK(tap(t, KEYPAD_STAR) == "*");
}

TEST_CASE("keyboard: a whole word, releases produce nothing", "[keyboard]") {
    ScancodeTranslator t;
    // "ls -l" then Enter
    CHECK(feed(t, {KEY_L, 0xa6, 0x1f, 0x9f, SPACE, 0xb9, MINUS, 0x8c, KEY_L, 0xa6, ENTER, 0x9c}) ==
          "ls -l\r");
}

TEST_CASE("keyboard: Shift gives the shifted symbols, either Shift key", "[keyboard]") {
    ScancodeTranslator t;
    CHECK(feed(t, {LEFT_SHIFT, KEY_A, KEY_1, KEY_2, MINUS, SEMICOLON, QUOTE, BACKTICK, BACKSLASH,
                   COMMA, SLASH, LEFT_BRACKET}) == "A!@_:\"~|<?{");
    CHECK(t.shift());
    CHECK(feed(t, {u8(LEFT_SHIFT | RELEASE), KEY_A}) == "a");
    CHECK_FALSE(t.shift());
    CHECK(feed(t, {RIGHT_SHIFT, KEY_Z, u8(RIGHT_SHIFT | RELEASE), KEY_Z}) == "Zz");
}

TEST_CASE("keyboard: releasing one Shift keeps the other held", "[keyboard]") {
    ScancodeTranslator t;
    CHECK(feed(t, {LEFT_SHIFT, RIGHT_SHIFT, u8(LEFT_SHIFT | RELEASE), KEY_A}) == "A");
    CHECK(feed(t, {u8(RIGHT_SHIFT | RELEASE), KEY_A}) == "a");
}

TEST_CASE("keyboard: Caps Lock toggles letters only, Shift inverts it", "[keyboard]") {
    ScancodeTranslator t;
    CHECK(tap(t, CAPS_LOCK).empty());
    CHECK(t.caps_lock());
    CHECK(feed(t, {KEY_A, KEY_1, SEMICOLON}) == "A1;");
    CHECK(feed(t, {LEFT_SHIFT, KEY_A, KEY_1, u8(LEFT_SHIFT | RELEASE)}) == "a!");
    CHECK(tap(t, CAPS_LOCK).empty());
    CHECK_FALSE(t.caps_lock());
    CHECK(tap(t, KEY_A) == "a");
}

TEST_CASE("keyboard: a held Caps Lock's typematic repeats toggle once", "[keyboard]") {
    ScancodeTranslator t;
    CHECK(feed(t, {CAPS_LOCK, CAPS_LOCK, CAPS_LOCK}).empty());
    CHECK(t.caps_lock());
    CHECK(feed(t, {u8(CAPS_LOCK | RELEASE), CAPS_LOCK, u8(CAPS_LOCK | RELEASE)}).empty());
    CHECK_FALSE(t.caps_lock());
}

TEST_CASE("keyboard: Ctrl with a letter gives its control code", "[keyboard]") {
    ScancodeTranslator t;
    CHECK(feed(t, {CTRL, KEY_C}) == "\x03");
    CHECK(t.ctrl());
    CHECK(feed(t, {KEY_A, KEY_Z, LEFT_BRACKET, BACKSLASH}) == std::string("\x01\x1a\x1b\x1c"));
    CHECK(feed(t, {LEFT_SHIFT, KEY_C, u8(LEFT_SHIFT | RELEASE)}) == "\x03"); // Ctrl-Shift-C too
    CHECK(feed(t, {SPACE}) == std::string(1, '\0'));
    CHECK(feed(t, {KEY_1}) == "1"); // no control code for digits
    CHECK(feed(t, {u8(CTRL | RELEASE), KEY_C}) == "c");
    CHECK_FALSE(t.ctrl());
}

TEST_CASE("keyboard: right Ctrl (E0 1D) works like left Ctrl", "[keyboard]") {
    ScancodeTranslator t;
    CHECK(feed(t, {E0, CTRL, KEY_C, E0, u8(CTRL | RELEASE), KEY_C}) == "\x03"
                                                                       "c");
    // Releasing the right Ctrl must not release a held left Ctrl.
    CHECK(feed(t, {CTRL, E0, CTRL, E0, u8(CTRL | RELEASE), KEY_A}) == "\x01");
}

TEST_CASE("keyboard: Enter, Backspace, Tab, Escape", "[keyboard]") {
    ScancodeTranslator t;
    CHECK(tap(t, ENTER) == "\r");
    CHECK(tap(t, BACKSPACE) == "\x7f");
    CHECK(tap(t, TAB) == "\t");
    CHECK(tap(t, ESCAPE) == "\x1b");
    CHECK(tap_extended(t, ENTER) == "\r"); // keypad Enter
    CHECK(tap_extended(t, SLASH) == "/");  // keypad slash
    CHECK(feed(t, {LEFT_SHIFT, TAB, u8(LEFT_SHIFT | RELEASE)}) == "\x1b[Z");
}

TEST_CASE("keyboard: arrow and editing keys send ANSI sequences", "[keyboard]") {
    ScancodeTranslator t;
    CHECK(tap_extended(t, 0x48) == "\x1b[A");
    CHECK(tap_extended(t, 0x50) == "\x1b[B");
    CHECK(tap_extended(t, 0x4d) == "\x1b[C");
    CHECK(tap_extended(t, 0x4b) == "\x1b[D");
    CHECK(tap_extended(t, 0x47) == "\x1b[H");
    CHECK(tap_extended(t, 0x4f) == "\x1b[F");
    CHECK(tap_extended(t, 0x53) == "\x1b[3~");
    CHECK(tap_extended(t, 0x52) == "\x1b[2~");
    CHECK(tap_extended(t, 0x49) == "\x1b[5~");
    CHECK(tap_extended(t, 0x51) == "\x1b[6~");
    // The arrow's E0 prefix does not leak into the next key.
    CHECK(tap(t, 0x48) == "\x1b[A"); // keypad 8 with Num Lock off is Up as well
    CHECK(tap(t, KEY_A) == "a");
}

TEST_CASE("keyboard: fake shifts around navigation keys leave Shift alone", "[keyboard]") {
    ScancodeTranslator t;
    // What a keyboard sends for Delete while Num Lock is on: E0 2A E0 53, then E0 D3 E0 AA.
    CHECK(feed(t, {E0, LEFT_SHIFT, E0, 0x53, E0, 0xd3, E0, 0xaa}) == "\x1b[3~");
    CHECK_FALSE(t.shift());
    // With a real Shift held, the keyboard releases it first (E0 AA) and re-presses it (E0 2A);
    // our Shift state must stay pressed throughout.
    CHECK(feed(t, {LEFT_SHIFT, E0, 0xaa, E0, 0x4b, E0, 0xcb, E0, LEFT_SHIFT, KEY_A}) == "\x1b[DA");
    CHECK(t.shift());
}

TEST_CASE("keyboard: Num Lock switches the keypad between digits and navigation", "[keyboard]") {
    ScancodeTranslator t;
    CHECK(tap(t, KEYPAD_7) == "\x1b[H");
    CHECK(tap(t, KEYPAD_5).empty());
    CHECK(tap(t, KEYPAD_DOT) == "\x1b[3~");
    CHECK(tap(t, KEYPAD_MINUS) == "-");
    CHECK(tap(t, NUM_LOCK).empty());
    CHECK(t.num_lock());
    CHECK(feed(t, {KEYPAD_7, KEYPAD_8, KEYPAD_5, KEYPAD_DOT, KEYPAD_MINUS}) == "785.-");
}

TEST_CASE("keyboard: function keys send xterm sequences", "[keyboard]") {
    ScancodeTranslator t;
    CHECK(tap(t, F1) == "\x1bOP");
    CHECK(tap(t, F5) == "\x1b[15~");
    CHECK(tap(t, F10) == "\x1b[21~");
    CHECK(tap(t, F11) == "\x1b[23~");
    CHECK(tap(t, F12) == "\x1b[24~");
}

TEST_CASE("keyboard: Alt prefixes ESC, both Alt keys", "[keyboard]") {
    ScancodeTranslator t;
    CHECK(feed(t, {ALT, KEY_A, u8(ALT | RELEASE), KEY_A}) == "\x1b"
                                                             "aa");
    CHECK(feed(t, {E0, ALT, KEY_Z, E0, u8(ALT | RELEASE)}) == "\x1bz");
    CHECK_FALSE(t.alt());
}

TEST_CASE("keyboard: Pause's E1 sequence and stray bytes produce nothing", "[keyboard]") {
    ScancodeTranslator t;
    CHECK(feed(t, {0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5}).empty());
    CHECK_FALSE(t.ctrl());     // the 1D inside was not a Ctrl press
    CHECK_FALSE(t.num_lock()); // nor the 45 a Num Lock press
    // Controller/keyboard responses (ACK, resend, errors) and unknown codes.
    CHECK(feed(t, {0xfa, 0xfe, 0xff, 0x00, 0x7f, 0x59, E0, 0x5b, E0, 0xdb}).empty());
    CHECK(tap(t, KEY_A) == "a");
}

TEST_CASE("keyboard: every byte value is handled within capacity", "[keyboard]") {
    ScancodeTranslator t;
    for (int prefix = 0; prefix < 3; ++prefix) {
        for (int code = 0; code < 256; ++code) {
            if (prefix == 1)
                t.feed(E0);
            if (prefix == 2)
                t.feed(LEFT_SHIFT);
            KeyBytes bytes = t.feed(u8(code));
            CHECK(bytes.length <= KeyBytes::CAPACITY);
        }
    }
}
