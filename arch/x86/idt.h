// The interrupt descriptor table and the dispatch of every vector to a registered handler.
#pragma once

#include <arch/x86/interrupt_frame.h>
#include <nk/types.h>

namespace x86 {

// Vector numbers (SDM Vol. 3A, Table 6-1).
namespace vector {
constexpr nk::u8 DivideError = 0;
constexpr nk::u8 Debug = 1;
constexpr nk::u8 Nmi = 2;
constexpr nk::u8 Breakpoint = 3;
constexpr nk::u8 InvalidOpcode = 6;
constexpr nk::u8 DoubleFault = 8;
constexpr nk::u8 GeneralProtection = 13;
constexpr nk::u8 PageFault = 14;
constexpr nk::u8 MachineCheck = 18;
constexpr nk::u8 IrqBase = 32; // the remapped 8259 PICs: IRQ n arrives as vector 32 + n
constexpr nk::u8 Spurious = 0xff;
} // namespace vector

using InterruptHandler = void (*)(InterruptFrame& frame);

void idt_init();
// Installs the handler for a vector; nullptr restores the default (which reports an unexpected
// exception, or counts and ignores a stray IRQ).
void set_interrupt_handler(nk::u8 vector, InterruptHandler handler);
// Called for exceptions without a handler of their own; it is expected not to return.
void set_unhandled_exception_handler(InterruptHandler handler);
// "Page fault", "General protection"...
const char* exception_name(nk::u64 vector);

} // namespace x86
