// The kernel command line (GRUB's `multiboot2 /boot/kernel.elf OPTIONS`): space-separated words,
// each `key` or `key=value`.
#pragma once

#include <nk/types.h>

namespace kernel::command_line {

// Copies the line (it lives in the boot information) into kernel memory.
void init(const char* line);
const char* text();
bool has(const char* key);
// The value of `key=value`, or nullptr when the key is absent or has no value. The result is
// valid until the next call; values are cut at 63 characters.
const char* value(const char* key);

} // namespace kernel::command_line
