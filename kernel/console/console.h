// The kernel console: every kprintf goes to the serial port (primary), the VGA text screen and
// the kernel log ring (what `dmesg` shows).
#pragma once

#include <nk/types.h>

namespace kernel::console {

// Serial first: it works before anything else is set up.
void init_serial();
// VGA text output, once physical 0xb8000 is reachable through the physmap.
void init_vga();
// The `novga` command-line option: nothing more is drawn on the VGA text screen (emulators whose
// display is a terminal nobody watches — the Bochs test harness — run faster without it).
void stop_vga();
// What programs write to /dev/console: shown on the screens, not kept in the kernel log.
void write_user_output(const char* data, nk::usize length);
// printf straight to the devices; usable from the panic path.
void emergency_printf(const char* format, ...) __attribute__((format(printf, 1, 2)));
// Console input (serial and PS/2 keyboard; console_input.h): bytes are queued by interrupt
// handlers and read by /dev/console. Arrow keys arrive as ANSI sequences (ESC [ A ...), Ctrl-C as
// 0x03, Enter as '\r' or '\n' — the same bytes a serial terminal sends. Safe to call from interrupt
// context.
void receive_input(char byte);

// Detail for the record (an extension's crossing trace after a fault report): to the serial port
// and the log ring, not drawn on the VGA screen, where a page of it would only scroll away
// what a person reads there.
void log_detail(const char* format, ...) __attribute__((format(printf, 1, 2)));

// Copies the newest part of the log ring into `buffer` (at most `size` bytes, not terminated).
nk::usize read_log(char* buffer, nk::usize size);

} // namespace kernel::console
