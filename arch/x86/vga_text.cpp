// VGA text mode: each cell is a character byte plus an attribute byte (foreground in the low
// nibble, background in the high). The hardware cursor is moved through the CRT controller's
// cursor location registers 0x0e/0x0f (IBM VGA technical reference, CRTC registers).
#include <arch/x86/cpu.h>
#include <arch/x86/vga_text.h>

namespace x86::vga_text {

namespace {

constexpr unsigned COLUMNS = 80;
constexpr unsigned ROWS = 25;
constexpr nk::u8 ATTRIBUTE = 0x07; // light grey on black
constexpr nk::u16 CRTC_INDEX = 0x3d4;
constexpr nk::u16 CRTC_DATA = 0x3d5;

volatile nk::u16* g_buffer = nullptr;
unsigned g_row = 0;
unsigned g_column = 0;

nk::u16 cell(char c) {
    return nk::u16(nk::u8(c)) | nk::u16(ATTRIBUTE) << 8;
}

void move_cursor() {
    nk::u16 position = nk::u16(g_row * COLUMNS + g_column);
    outb(CRTC_INDEX, 0x0f);
    outb(CRTC_DATA, nk::u8(position));
    outb(CRTC_INDEX, 0x0e);
    outb(CRTC_DATA, nk::u8(position >> 8));
}

void scroll() {
    for (unsigned i = 0; i < (ROWS - 1) * COLUMNS; ++i)
        g_buffer[i] = g_buffer[i + COLUMNS];
    for (unsigned i = 0; i < COLUMNS; ++i)
        g_buffer[(ROWS - 1) * COLUMNS + i] = cell(' ');
    g_row = ROWS - 1;
}

void put(char c) {
    switch (c) {
    case '\n':
        g_column = 0;
        ++g_row;
        break;
    case '\r':
        g_column = 0;
        break;
    case '\b':
        // Cursor left without erasing, as a serial terminal does: the shell erases by writing
        // "\b \b" and redraws mid-line edits itself.
        if (g_column > 0)
            --g_column;
        break;
    case '\t':
        g_column = (g_column + 8) & ~7u;
        break;
    default:
        g_buffer[g_row * COLUMNS + g_column] = cell(c);
        ++g_column;
    }
    if (g_column >= COLUMNS) {
        g_column = 0;
        ++g_row;
    }
    if (g_row >= ROWS)
        scroll();
}

} // namespace

void init(volatile nk::u16* buffer) {
    g_buffer = buffer;
    clear();
}

void clear() {
    if (!g_buffer)
        return;
    for (unsigned i = 0; i < ROWS * COLUMNS; ++i)
        g_buffer[i] = cell(' ');
    g_row = g_column = 0;
    move_cursor();
}

void write(const char* data, nk::usize length) {
    if (!g_buffer)
        return;
    for (nk::usize i = 0; i < length; ++i)
        put(data[i]);
    move_cursor();
}

} // namespace x86::vga_text
