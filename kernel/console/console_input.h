// The console's input queue: bytes from the serial port and the PS/2 keyboard, read by
// /dev/console. Reads are raw (no echo, no line discipline): the shell edits lines itself.
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace kernel::console {

// Takes serial input interrupts (IRQ 4).
void init_input();
// Blocks until at least one byte is queued, then returns up to `length` bytes. Error::Aborted
// when `should_abort` (checked on every wake-up, e.g. "this process was killed") says so.
nk::Result<nk::usize> read_input(char* buffer, nk::usize length, bool (*should_abort)());
nk::u64 input_overruns();

} // namespace kernel::console
