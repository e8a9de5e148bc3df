// The VGA text console (80x25, colour attribute bytes) at physical 0xb8000.
#pragma once

#include <nk/types.h>

namespace x86::vga_text {

// `buffer` is where physical 0xb8000 is mapped.
void init(volatile nk::u16* buffer);
void write(const char* data, nk::usize length);
void clear();

} // namespace x86::vga_text
