#include <arch/x86/domain_call.h>
#include <arch/x86/gdt.h>
#include <arch/x86/idt.h>
#include <arch/x86/ioapic.h>
#include <arch/x86/mmu.h>
#include <arch/x86/rtc.h>
#include <kernel/debug/panic.h>
#include <kernel/interrupts/irq.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/sched/deferred_work.h>
#include <nooks/extension_manager.h>
#include <nooks/isolated_api.h>
#include <nooks/module_region.h>
#include <nooks/nooks.h>
#include <nooks/protection_domain.h>
#include <nooks/recovery.h>
#include <nooks/xpc.h>

#include <stdio.h>

namespace nooks {

namespace {

constexpr nk::u64 TRAMPOLINE_PAGES = 2;

// A kernel panic reached from an isolated extension's crossing (an assertion in a service it
// called, say) fails the extension rather than the machine.
void intercept_panic(const char* message) {
    Crossing* crossing = current_crossing();
    if (!crossing || crossing->extension->mode != ExtensionMode::Isolated)
        return;
    char cause[112];
    snprintf(cause, sizeof cause, "kernel panic: %s", message);
    record_failure(*crossing->extension, cause, 0);
    abort_current_crossing();
}

// Whether the interrupt arrived in an isolated extension's own code: at CPL 1. Not kernel code
// under a domain's page table (the few instructions that enter or leave a domain, or an
// interrupt's entry path): aborting there would abandon an interrupt half taken — one never
// acknowledged, whose line stays in service at the PIC for good.
bool in_extension_code(const x86::InterruptFrame& frame) {
    return (frame.cs & 3) == 1;
}

// Interrupt exit: when the interrupt arrived while extension code ran (at CPL 1), let
// the watchdog look at how long the crossing has been running. Not when it arrived in kernel
// code working for the extension: that code may hold locks.
void on_interrupt_exit(const x86::InterruptFrame& frame) {
    if (!in_extension_code(frame))
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

// What CPL 1 needs (arch/x86/domain_call.h): the TSS moves into the module region, where each
// domain maps an I/O permission bitmap of its own over the kernel's refuse-everything one (the
// TSS page itself and the closing byte read-only); and a trampoline stack every domain maps
// writable, where the CPU pushes what arrives at CPL 1.
void set_up_domain_entry() {
    auto tss = allocate_module_pages(x86::TSS_AREA_PAGES);
    auto trampoline = allocate_module_pages(TRAMPOLINE_PAGES);
    if (tss.is_error() || trampoline.is_error())
        kernel::panic("nooks: cannot allocate the TSS and trampoline pages");
    nk::u64 area = tss.value().base;
    x86::relocate_tss(area);
    set_io_bitmap_address(area + x86::TSS_IO_BITMAP_OFFSET);
    nk::u64 bitmap_pages = x86::TSS_IO_BITMAP_BYTES / 4096;
    if (add_domain_shared_range(area, 1, x86::PageFlags::None).is_error() ||
        add_domain_shared_range(area + (1 + bitmap_pages) * 4096, 1, x86::PageFlags::None)
            .is_error() ||
        add_domain_shared_range(trampoline.value().base, TRAMPOLINE_PAGES).is_error())
        kernel::panic("nooks: too many shared ranges");
    x86::set_domain_trampoline(trampoline.value().base,
                               trampoline.value().base + TRAMPOLINE_PAGES * 4096);
}

// The NMI watchdog: a loop with interrupts disabled never sees the timer, but an NMI still
// arrives. The RTC's periodic interrupt (4 Hz) is routed through the I/O APIC as an NMI; when it
// lands inside a domain whose crossing has run too long, the crossing is aborted.
void on_nmi(x86::InterruptFrame& frame) {
    x86::rtc::acknowledge();
    if (in_extension_code(frame))
        watchdog_tick();
}

bool g_nmi_watchdog = false;

// Interrupt storms: the IRQ layer has masked the line already (in interrupt context); the owner
// is found and failed in thread context, where the extension list may be walked.
volatile nk::u32 g_storm_lines = 0;
void charge_storms(void*) {
    nk::u32 lines = __atomic_exchange_n(&g_storm_lines, 0, __ATOMIC_SEQ_CST);
    for (unsigned line = 0; line < 32; ++line) {
        if ((lines & (1u << line)) && charge_interrupt_storm(line) == 0)
            kprintf("nooks: IRQ %u stormed with no isolated extension on it; left masked\n", line);
    }
}
kernel::DeferredWork g_storm_work(charge_storms, nullptr);

void on_interrupt_storm(unsigned line) {
    __atomic_or_fetch(&g_storm_lines, 1u << line, __ATOMIC_SEQ_CST);
    g_storm_work.schedule();
}

void start_nmi_watchdog() {
    auto registers = kernel::memory::map_mmio(x86::ioapic::DEFAULT_PHYS, 1);
    if (registers.is_error())
        return;
    x86::ioapic::init(reinterpret_cast<volatile nk::u32*>(registers.value()));
    if (!x86::ioapic::present()) {
        kprintf("nooks: no I/O APIC: no NMI watchdog (hang-cli is not caught)\n");
        return;
    }
    x86::set_interrupt_handler(x86::vector::Nmi, on_nmi);
    constexpr unsigned RTC_PIN = 8;    // ISA IRQ 8 on the I/O APIC
    constexpr unsigned RATE_4_HZ = 14; // 32768 >> 13
    x86::rtc::start_periodic(RATE_4_HZ);
    x86::ioapic::route_as_nmi(RTC_PIN);
    g_nmi_watchdog = true;
}

} // namespace

bool nmi_watchdog_running() {
    return g_nmi_watchdog;
}

void init() {
    move_interrupt_stacks();
    set_up_domain_entry();
    x86::set_interrupt_handler(x86::XPC_SERVICE_VECTOR, service_call);
    start_nmi_watchdog();
    kernel::set_panic_interceptor(intercept_panic);
    kernel::irq::set_exit_hook(on_interrupt_exit);
    kernel::irq::set_storm_hook(on_interrupt_storm);
    kernel::irq::set_preemption_veto(veto_preemption);
}

} // namespace nooks
