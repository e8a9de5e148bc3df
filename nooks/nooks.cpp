#include <arch/x86/gdt.h>
#include <arch/x86/mmu.h>
#include <kernel/debug/panic.h>
#include <kernel/interrupts/irq.h>
#include <nooks/extension_manager.h>
#include <nooks/module_region.h>
#include <nooks/nooks.h>
#include <nooks/protection_domain.h>
#include <nooks/recovery.h>
#include <nooks/xpc.h>

#include <stdio.h>

namespace nooks {

namespace {

// A kernel panic reached from an isolated extension's crossing (an assertion in a service it
// called, say) fails the extension rather than the machine.
void intercept_panic(const char* message) {
    Crossing* crossing = current_crossing();
    if (!crossing || crossing->extension->mode != ExtensionMode::Isolated)
        return;
    char cause[64];
    snprintf(cause, sizeof cause, "kernel panic: %s", message);
    record_failure(*crossing->extension, cause, 0);
    abort_current_crossing();
}

// Interrupt exit: when the interrupt arrived while extension code ran (CR3 was a domain's), let
// the watchdog look at how long the crossing has been running. Not when it arrived in kernel
// code working for the extension: that code may hold locks.
void on_interrupt_exit(const x86::InterruptFrame& frame) {
    if ((frame.cr3 & 0x000ffffffffff000ull) == x86::mmu::thread_address_space())
        return;
    watchdog_tick();
}

// The interrupt stacks move into the module region, where every domain maps them writable: an
// exception inside a domain is pushed onto its IST stack by the CPU itself.
void move_interrupt_stacks() {
    constexpr nk::u64 IST_PAGES = 4;
    const x86::Ist slots[] = {x86::Ist::DoubleFault, x86::Ist::Nmi, x86::Ist::PageFault,
                              x86::Ist::MachineCheck};
    for (x86::Ist slot : slots) {
        auto stack = allocate_module_pages(IST_PAGES);
        if (stack.is_error())
            kernel::panic("nooks: cannot allocate interrupt stacks");
        x86::set_ist_stack(slot, stack.value().base, stack.value().base + IST_PAGES * 4096);
        if (add_domain_shared_range(stack.value().base, IST_PAGES).is_error())
            kernel::panic("nooks: too many shared ranges");
    }
}

} // namespace

void init() {
    move_interrupt_stacks();
    kernel::set_panic_interceptor(intercept_panic);
    kernel::irq::set_exit_hook(on_interrupt_exit);
}

} // namespace nooks
