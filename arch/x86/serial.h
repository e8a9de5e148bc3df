// The COM1 16550 UART: the primary console (QEMU -serial stdio, Bochs com1 to a file).
#pragma once

#include <nk/types.h>

namespace x86::serial {

// 115200 baud, 8N1, FIFOs on. Returns false when no UART answers (loopback test fails).
bool init();
void write_byte(nk::u8 byte);
void write(const char* data, nk::usize length);
// -1 when no byte is waiting.
int try_read_byte();
// Raise IRQ 4 when a byte arrives (the shell's input later).
void enable_receive_interrupt();

} // namespace x86::serial
