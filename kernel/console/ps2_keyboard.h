// The PS/2 keyboard on the 8042's first port: IRQ 1 delivers scancode set 1 bytes, which the
// ScancodeTranslator turns into terminal bytes for kernel::console::receive_input().
#pragma once

namespace kernel::ps2_keyboard {

// Needs the IRQ layer (kernel::irq::init) and the console. Makes sure the first port is enabled
// with translation and its interrupt on, then registers the IRQ 1 handler. Without a controller
// it reports so and returns; every controller wait is bounded.
void init();

} // namespace kernel::ps2_keyboard
