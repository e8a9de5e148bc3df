// The two cascaded 8259A programmable interrupt controllers.
#pragma once

#include <nk/types.h>

namespace x86::pic {

// Remaps IRQ 0-15 to vectors 32-47 (the defaults overlap CPU exceptions) and masks all lines.
void init();
void unmask(nk::u8 irq);
void mask(nk::u8 irq);
void end_of_interrupt(nk::u8 irq);
// IRQ 7 and 15 can be spurious (8259A datasheet, "Interrupt sequence"): true when the
// in-service bit is clear, in which case no EOI must be sent to that chip.
bool is_spurious(nk::u8 irq);

} // namespace x86::pic
