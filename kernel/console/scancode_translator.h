// Turns PS/2 scancode set 1 bytes (what the 8042 delivers with translation on) into the bytes a
// serial terminal would send for the same keys, so the console's readers need not know which
// device typed: US layout, Shift and Caps Lock, Ctrl+key control codes, Alt as an ESC prefix,
// and VT100/xterm escape sequences for the cursor and editing keys (ESC [ A for Up,
// ESC [ 3 ~ for Delete, ...). Pure logic, no I/O: the IRQ handler feeds it one byte at a time.
//
// Scancode set 1: IBM PC AT Technical Reference, keyboard scan codes; a break (release) code is
// the make code with bit 7 set; 0xE0 prefixes the keys added by the enhanced (101-key) keyboard,
// 0xE1 the Pause key's make-only sequence E1 1D 45 E1 9D C5.
#pragma once

#include <nk/types.h>

namespace kernel::console {

// What one scancode byte produced: usually nothing (a prefix, a release, a modifier) or one byte.
struct KeyBytes {
    static constexpr nk::usize CAPACITY = 8; // the longest is 5: ESC [ 2 4 ~ (F12)
    char data[CAPACITY];
    nk::usize length;
};

class ScancodeTranslator {
public:
    KeyBytes feed(nk::u8 scancode);

    bool shift() const { return m_left_shift || m_right_shift; }
    bool ctrl() const { return m_left_ctrl || m_right_ctrl; }
    bool alt() const { return m_left_alt || m_right_alt; }
    bool caps_lock() const { return m_caps_lock; }
    bool num_lock() const { return m_num_lock; }

private:
    KeyBytes feed_normal(nk::u8 code, bool released);
    KeyBytes feed_extended(nk::u8 code, bool released);
    KeyBytes character(char normal, char shifted, bool is_letter) const;

    bool m_extended = false;      // an 0xE0 prefix came before this byte
    nk::u8 m_pause_remaining = 0; // bytes of a Pause sequence still to swallow
    bool m_left_shift = false;
    bool m_right_shift = false;
    bool m_left_ctrl = false;
    bool m_right_ctrl = false;
    bool m_left_alt = false;
    bool m_right_alt = false;
    bool m_caps_lock = false;
    bool m_caps_held = false; // typematic repeats of a held lock key must not toggle it again
    bool m_num_lock = false;
    bool m_num_held = false;
};

} // namespace kernel::console
