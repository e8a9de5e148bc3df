#include <arch/x86/i8042.h>
#include <kernel/console/console.h>
#include <kernel/console/ps2_keyboard.h>
#include <kernel/console/scancode_translator.h>
#include <kernel/interrupts/irq.h>

#include <stdio.h>

namespace kernel::ps2_keyboard {

namespace {

namespace i8042 = x86::i8042;

// Touched only by the IRQ 1 handler once init() has registered it.
console::ScancodeTranslator g_translator;

// A burst of bytes may wait (an extended key is two or three); read what is there, but a
// controller stuck with its output flag set must not keep us in the handler.
constexpr unsigned MAX_BYTES_PER_INTERRUPT = 16;

bool on_interrupt(void*) {
    bool claimed = false;
    for (unsigned i = 0; i < MAX_BYTES_PER_INTERRUPT; ++i) {
        i8042::Status status = i8042::read_status();
        // A byte from the second (mouse) port belongs to IRQ 12's handler.
        if (!status.output_full() || status.auxiliary_data())
            break;
        nk::u8 scancode = i8042::read_data();
        claimed = true;
        console::KeyBytes bytes = g_translator.feed(scancode);
        for (nk::usize b = 0; b < bytes.length; ++b)
            console::receive_input(bytes.data[b]);
    }
    return claimed;
}

// Turns the first port on with its interrupt and set 1 translation. The port is disabled while
// the configuration byte is exchanged, so a keystroke cannot be mistaken for the controller's
// answer. Returns false when the controller does not respond.
bool configure_controller() {
    if (!i8042::send_command(i8042::command::DISABLE_FIRST_PORT))
        return false;
    i8042::flush_output();
    bool configured = false;
    if (i8042::send_command(i8042::command::READ_CONFIGURATION)) {
        int response = i8042::read_response();
        if (response >= 0) {
            auto value = nk::u8(response);
            value |= i8042::configuration::FIRST_PORT_INTERRUPT |
                     i8042::configuration::FIRST_PORT_TRANSLATION;
            value &= nk::u8(~i8042::configuration::FIRST_PORT_CLOCK_DISABLE);
            configured = i8042::send_command(i8042::command::WRITE_CONFIGURATION, value);
        }
    }
    // Re-enable the port even if the configuration exchange failed: firmware's setup, which
    // QEMU and PC BIOSes leave usable, is better than a dead keyboard.
    bool enabled = i8042::send_command(i8042::command::ENABLE_FIRST_PORT);
    return configured && enabled;
}

} // namespace

void init() {
    if (!i8042::is_present()) {
        kprintf("ps2: no 8042 controller\n");
        return;
    }
    i8042::flush_output();
    if (!configure_controller())
        kprintf("ps2: controller did not accept the configuration; using firmware's\n");
    // Bytes typed before the handler existed would arrive without their prefixes' context.
    i8042::flush_output();
    if (auto result = irq::register_handler(1, on_interrupt, nullptr); result.is_error()) {
        kprintf("ps2: cannot register IRQ 1: %s\n", nk::error_string(result.error()));
        return;
    }
    kprintf("ps2: keyboard on IRQ 1\n");
}

} // namespace kernel::ps2_keyboard
