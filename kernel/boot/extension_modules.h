// Extension modules the boot loader brought (`module2 /boot/modules/NAME.ko ext NAME` in
// grub.cfg) become files in /lib/modules, where `ext load` and the kernel find them.
#pragma once

#include <kernel/boot/multiboot2.h>

namespace kernel {

// Returns how many modules were published.
unsigned publish_extension_modules(const BootInfo& info);

} // namespace kernel
