#include <arch/x86/cpu.h>
#include <arch/x86/domain_call.h>
#include <arch/x86/gdt.h>
#include <arch/x86/idt.h>

extern "C" const nk::u64 interrupt_stub_table[256];
extern "C" void x86_domain_return_entry();

namespace x86 {

namespace {

// 64-bit interrupt gate (SDM Vol. 3A, Figure 6-8): type 0xe clears IF on entry.
struct [[gnu::packed]] Gate {
    nk::u16 offset_low;
    nk::u16 selector;
    nk::u8 ist;
    nk::u8 type_attributes;
    nk::u16 offset_middle;
    nk::u32 offset_high;
    nk::u32 reserved;
};
static_assert(sizeof(Gate) == 16);

constexpr nk::u8 GATE_PRESENT_INTERRUPT = 0x8e;

Gate g_idt[256];
InterruptHandler g_handlers[256];
InterruptHandler g_unhandled_exception = nullptr;

// `dpl`: the least privileged level allowed to raise the vector with INT n (SDM 6.12.1.1).
void set_gate(nk::u8 vector, nk::u64 address, Ist ist, unsigned dpl) {
    Gate& gate = g_idt[vector];
    gate.offset_low = nk::u16(address);
    gate.selector = KERNEL_CS;
    gate.ist = nk::u8(ist);
    gate.type_attributes = nk::u8(GATE_PRESENT_INTERRUPT | (dpl << 5));
    gate.offset_middle = nk::u16(address >> 16);
    gate.offset_high = nk::u32(address >> 32);
    gate.reserved = 0;
}

constexpr const char* exception_names[32] = {
    "Divide error",
    "Debug",
    "NMI",
    "Breakpoint",
    "Overflow",
    "BOUND range exceeded",
    "Invalid opcode",
    "Device not available",
    "Double fault",
    "Coprocessor segment overrun",
    "Invalid TSS",
    "Segment not present",
    "Stack-segment fault",
    "General protection",
    "Page fault",
    "Reserved (15)",
    "x87 floating-point error",
    "Alignment check",
    "Machine check",
    "SIMD floating-point error",
    "Virtualization exception",
    "Control protection",
    "Reserved (22)",
    "Reserved (23)",
    "Reserved (24)",
    "Reserved (25)",
    "Reserved (26)",
    "Reserved (27)",
    "Hypervisor injection",
    "VMM communication",
    "Security exception",
    "Reserved (31)",
};

} // namespace

void idt_init() {
    for (unsigned v = 0; v < 256; ++v) {
        Ist ist = Ist::None;
        if (v == vector::DoubleFault)
            ist = Ist::DoubleFault;
        else if (v == vector::Nmi)
            ist = Ist::Nmi;
        else if (v == vector::PageFault)
            ist = Ist::PageFault;
        else if (v == vector::MachineCheck)
            ist = Ist::MachineCheck;
        // int3 may be used from ring 3 (debuggers); everything else only by hardware/kernel.
        set_gate(nk::u8(v), interrupt_stub_table[v], ist, v == vector::Breakpoint ? 3 : 0);
    }
    // The two gates of protection domains, raised from CPL 1 (domain_call.h).
    set_gate(XPC_RETURN_VECTOR, reinterpret_cast<nk::u64>(x86_domain_return_entry), Ist::None, 1);
    set_gate(XPC_SERVICE_VECTOR, interrupt_stub_table[XPC_SERVICE_VECTOR], Ist::None, 1);
    struct [[gnu::packed]] {
        nk::u16 limit;
        nk::u64 base;
    } pointer = {sizeof(g_idt) - 1, reinterpret_cast<nk::u64>(g_idt)};
    asm volatile("lidt %0" ::"m"(pointer));
}

void set_interrupt_handler(nk::u8 vector, InterruptHandler handler) {
    g_handlers[vector] = handler;
}

void set_unhandled_exception_handler(InterruptHandler handler) {
    g_unhandled_exception = handler;
}

const char* exception_name(nk::u64 vector) {
    return vector < 32 ? exception_names[vector] : "Interrupt";
}

} // namespace x86

extern "C" void x86_interrupt_entry(x86::InterruptFrame* frame) {
    nk::u64 vector = frame->vector;
    if (auto handler = x86::g_handlers[vector]) {
        handler(*frame);
        return;
    }
    if (vector < 32) {
        if (x86::g_unhandled_exception)
            x86::g_unhandled_exception(*frame);
        x86::halt_forever();
    }
    // A stray vector without a handler: ignore it (IRQ acknowledgement is the IRQ layer's job).
}
