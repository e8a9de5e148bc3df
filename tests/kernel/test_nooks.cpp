// In-kernel tests of the Nooks subsystem's memory pieces.
#include <arch/x86/interrupt_state.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/pci/pci.h>
#include <kernel/sched/scheduler.h>
#include <kernel/test/ktest.h>

#include <arch/x86/cpu.h>
#include <nooks/crash_test.h>
#include <nooks/extension_manager.h>
#include <nooks/isolated_api.h>
#include <nooks/kernel_exports.h>
#include <nooks/module_region.h>
#include <nooks/nooks.h>
#include <nooks/protection_domain.h>
#include <nooks/recovery.h>
#include <nooks/shadow.h>
#include <nooks/test_extension.h>
#include <nooks/wrapper.h>
#include <nooks/xpc.h>
#include <stdio.h>

#include "nooks_test_support.h"

using namespace kernel;

KTEST(nooks_module_pages_map_protect_free) {
    auto frames_before = memory::frames().stats().free_frames;
    auto in_use_before = nooks::module_pages_in_use();
    auto allocation = nooks::allocate_module_pages(3);
    KREQUIRE(allocation.has_value());
    nk::u64 base = allocation.value().base;
    KEXPECT(base >= MODULE_REGION_BASE);
    auto* bytes = reinterpret_cast<volatile nk::u8*>(base);
    KEXPECT(bytes[0] == 0 && bytes[3 * 4096 - 1] == 0); // zero-filled
    bytes[5000] = 0x42;
    KEXPECT(nooks::protect_module_pages(base, 1, x86::PageFlags::Execute).has_value());
    auto text = memory::kernel_page_table().translate(base);
    KREQUIRE(text.has_value());
    KEXPECT(!x86::has_flag(text.value().flags, x86::PageFlags::Write));
    KEXPECT(x86::has_flag(text.value().flags, x86::PageFlags::Execute));
    // The page after the allocation is a gap.
    KEXPECT(memory::kernel_page_table().translate(base + 3 * 4096).is_error());
    // A second allocation does not touch the first one's gap.
    auto second = nooks::allocate_module_pages(1);
    KREQUIRE(second.has_value());
    KEXPECT(second.value().base >= base + 4 * 4096 || second.value().base + 4096 < base);
    nooks::free_module_pages(second.value());
    nooks::free_module_pages(allocation.value());
    KEXPECT(memory::kernel_page_table().translate(base).is_error());
    KEXPECT(nooks::module_pages_in_use() == in_use_before);
    KEXPECT(memory::frames().stats().free_frames == frames_before);
}

KTEST(nooks_native_test_extension_crossings) {
    // A first load and unload settles the kernel heap's slabs (size classes this test uses for
    // the first time keep a page); the figures after that must come back exactly.
    {
        nooks::LoadProblem problem = {};
        auto warm = nooks::load_extension_file("/", "/lib/modules/test.ko",
                                               nooks::ExtensionMode::Native, &problem);
        if (warm.is_error())
            kprintf("ktest:   load failed: %s (%s)\n", nk::error_string(warm.error()),
                    problem.message);
        KREQUIRE(warm.has_value());
        KEXPECT(static_cast<const nooks_test_ops*>(warm.value()->info->ops)->churn(50) == 50);
        KEXPECT(nooks::unload_extension("test").has_value());
    }
    auto frames_before = memory::frames().stats().free_frames;
    auto heap_before = memory::kernel_heap().stats().live_allocations;
    nooks::LoadProblem problem = {};
    auto loaded = nooks::load_extension_file("/", "/lib/modules/test.ko",
                                             nooks::ExtensionMode::Native, &problem);
    KREQUIRE(loaded.has_value());
    auto* ops = static_cast<const nooks_test_ops*>(loaded.value()->info->ops);
    KREQUIRE(ops != nullptr);
    KEXPECT(ops->echo(41) == 42);
    unsigned char buffer[100];
    KEXPECT(ops->fill(buffer, sizeof buffer, 3) == 300);
    KEXPECT(buffer[0] == 3 && buffer[99] == 3);
    KEXPECT(ops->churn(50) == 50); // calls back into the kernel's allocator
    // Text is read-only and executable, rodata read-only, in the kernel's own table.
    auto text = memory::kernel_page_table().translate(loaded.value()->module.text.address);
    KREQUIRE(text.has_value());
    KEXPECT(!x86::has_flag(text.value().flags, x86::PageFlags::Write));
    KEXPECT(x86::has_flag(text.value().flags, x86::PageFlags::Execute));
    KEXPECT(nooks::unload_extension("test").has_value());
    KEXPECT(!nooks::find_extension("test"));
    KEXPECT(memory::frames().stats().free_frames == frames_before);
    KEXPECT(memory::kernel_heap().stats().live_allocations == heap_before);
}

KTEST(nooks_refuses_a_non_module) {
    nooks::LoadProblem problem = {};
    auto loaded =
        nooks::load_extension_file("/", "/bin/true", nooks::ExtensionMode::Native, &problem);
    KEXPECT(loaded.is_error());
    KEXPECT(problem.message[0] != 0);
}

namespace {
volatile nk::u64 g_kernel_word = 0x1234;
} // namespace

KTEST(nooks_domain_sees_kernel_read_only_and_owns_its_pages) {
    // One domain first: the module region's page tables grow for its I/O bitmap pages the first
    // time, and keep what they grew.
    if (auto warm = nooks::ProtectionDomain::create(); warm.has_value()) {
        warm.value()->~ProtectionDomain();
        kfree(warm.value());
    }
    auto frames_before = memory::frames().stats().free_frames;
    auto domain = nooks::ProtectionDomain::create();
    KREQUIRE(domain.has_value());
    auto pages = nooks::allocate_module_pages(2);
    KREQUIRE(pages.has_value());
    nk::u64 own = pages.value().base;
    KREQUIRE(domain.value()->map_shared_pages(own, 1, x86::PageFlags::Write).has_value());
    KREQUIRE(domain.value()->map_shared_pages(own + 4096, 1, x86::PageFlags::None).has_value());

    // The domain's view: kernel text executable but not writable, kernel data and the physmap
    // read-only, the kernel stacks read-only, its own page writable.
    auto check = [&](nk::u64 address, bool writable) {
        auto seen = domain.value()->translate(address);
        return seen.has_value() &&
               x86::has_flag(seen.value().flags, x86::PageFlags::Write) == writable;
    };
    KEXPECT(check(reinterpret_cast<nk::u64>(&kernel::sched::current), false));
    KEXPECT(check(reinterpret_cast<nk::u64>(&g_kernel_word), false));
    KEXPECT(check(PHYSMAP_BASE + 0x200000, false));
    KEXPECT(check(reinterpret_cast<nk::u64>(&frames_before), false)); // this thread's stack
    KEXPECT(check(own, true));
    KEXPECT(check(own + 4096, false));
    // Another extension's memory is simply absent.
    auto other = nooks::allocate_module_pages(1);
    KREQUIRE(other.has_value());
    KEXPECT(domain.value()->translate(other.value().base).is_error());
    // A domain costs a handful of table pages, not a copy of the kernel's tables.
    KEXPECT(domain.value()->table_pages() <= 6);

    // Run under the domain's page table for a moment: interrupts off (their handlers write
    // kernel data), and no stack writes between the two CR3 loads (the stack is read-only
    // there). Store into the domain's own page, read a kernel word.
    nk::u64 kernel_cr3 = memory::kernel_page_table().root();
    nk::u64 domain_cr3 = domain.value()->root() | domain.value()->pcid();
    nk::u64 read_back = 0;
    {
        x86::InterruptGuard guard;
        asm volatile("mov %[domain], %%cr3\n"
                     "movq $0x5a5a, (%[own])\n"
                     "mov (%[word]), %[value]\n"
                     "mov %[kernel], %%cr3\n"
                     : [value] "=&r"(read_back)
                     : [domain] "r"(domain_cr3), [kernel] "r"(kernel_cr3), [own] "r"(own),
                       [word] "r"(&g_kernel_word)
                     : "memory");
    }
    KEXPECT(read_back == 0x1234);
    KEXPECT(*reinterpret_cast<volatile nk::u64*>(own) == 0x5a5a);

    domain.value()->~ProtectionDomain();
    kfree(domain.value());
    nooks::free_module_pages(other.value());
    nooks::free_module_pages(pages.value());
    KEXPECT(memory::frames().stats().free_frames == frames_before);
}

KTEST(nooks_domain_allows_forgets_unmapped_pages) {
    // allows() remembers its answers for the extension's own pages: an unmap must take them back
    // (a wrapper believing a stale yes would let the kernel use memory the extension gave up).
    auto domain = nooks::ProtectionDomain::create();
    KREQUIRE(domain.has_value());
    nooks::ProtectionDomain& d = *domain.value();
    auto pages = nooks::allocate_module_pages(2);
    KREQUIRE(pages.has_value());
    nk::u64 own = pages.value().base;
    KREQUIRE(d.map_shared_pages(own, 1, x86::PageFlags::Write).has_value());
    KREQUIRE(d.map_shared_pages(own + 4096, 1, x86::PageFlags::None).has_value());
    for (int round = 0; round < 2; ++round) { // the second round answers from memory
        KEXPECT(d.allows(own + 8, true));
        KEXPECT(d.allows(own + 4096, false));
        KEXPECT(!d.allows(own + 4096, true)); // read-only stays read-only
    }
    KEXPECT(d.allows(reinterpret_cast<nk::u64>(&g_kernel_word), false));
    KEXPECT(!d.allows(reinterpret_cast<nk::u64>(&g_kernel_word), true));
    KREQUIRE(d.unmap_pages(own, 2).has_value());
    KEXPECT(!d.allows(own, false));
    KEXPECT(!d.allows(own + 4096, false));
    // Mapped again, read-only this time: the old writable answer is not believed.
    KREQUIRE(d.map_shared_pages(own, 1, x86::PageFlags::None).has_value());
    KEXPECT(d.allows(own, false));
    KEXPECT(!d.allows(own, true));
    KREQUIRE(d.unmap_pages(own, 1).has_value());
    d.~ProtectionDomain();
    kfree(&d);
    nooks::free_module_pages(pages.value());
}

KTEST(nooks_isolated_crossings_both_ways) {
    settle_heap();
    auto frames_before = memory::frames().stats().free_frames;
    auto heap_before = memory::kernel_heap().stats().live_allocations;
    nooks::Extension* extension = load_isolated_test_extension();
    KREQUIRE(extension != nullptr);
    KEXPECT(extension->mode == nooks::ExtensionMode::Isolated);
    const auto& ops = test_ops(*extension);
    auto echo = nooks::xpc_call(*extension, nooks::as_domain_function(ops.echo), 41);
    KEXPECT(echo.has_value() && echo.value() == 42);
    // Extension -> kernel: 20 allocations and frees through the wrappers, into its own heap.
    auto calls_before = extension->wrapper_calls;
    auto churn = nooks::xpc_call(*extension, nooks::as_domain_function(ops.churn), 20);
    KEXPECT(churn.has_value() && churn.value() == 20);
    KEXPECT(extension->wrapper_calls == calls_before + 40);
    // An in/out buffer must live in the extension's domain: one from its own heap.
    auto buffer = extension->heap->allocate(64);
    KREQUIRE(buffer.has_value());
    auto sum = nooks::xpc_call(*extension, nooks::as_domain_function(ops.fill),
                               long(buffer.value()), 64, 2);
    KEXPECT(sum.has_value() && sum.value() == 128);
    KEXPECT(static_cast<nk::u8*>(buffer.value())[63] == 2);
    KEXPECT(extension->heap->free(buffer.value()).has_value());
    // The same buffer in kernel memory is read-only in the domain: the crossing is aborted.
    nk::u8 kernel_buffer[16] = {};
    auto refused = nooks::xpc_call(*extension, nooks::as_domain_function(ops.fill),
                                   long(kernel_buffer), 16, 7);
    KEXPECT(refused.is_error() && refused.error() == nk::Error::Aborted);
    KEXPECT(kernel_buffer[0] == 0);
    KEXPECT(wait_until_settled(*extension));
    KEXPECT(extension->state == nooks::ExtensionState::Running);
    KEXPECT(nooks::unload_extension("test").has_value());
    KEXPECT(memory::frames().stats().free_frames == frames_before);
    KEXPECT(memory::kernel_heap().stats().live_allocations == heap_before);
}

KTEST(nooks_nested_crossing_from_a_timer_interrupt) {
    settle_heap();
    auto frames_before = memory::frames().stats().free_frames;
    nooks::Extension* extension = load_isolated_test_extension();
    KREQUIRE(extension != nullptr);
    auto crossings_before = extension->crossings;
    auto seen = nooks::xpc_call(*extension,
                                nooks::as_domain_function(test_ops(*extension).wait_for_timer), 5);
    KEXPECT(seen.has_value() && seen.value() >= 5);
    // The callbacks were crossings of their own, made while the outer one was still running.
    KEXPECT(extension->crossings >= crossings_before + 6);
    KEXPECT(extension->state == nooks::ExtensionState::Running);
    // The timer was released by the extension itself: nothing left in the tracker.
    KEXPECT(extension->tracker.total() == 0);
    KEXPECT(nooks::unload_extension("test").has_value());
    KEXPECT(memory::frames().stats().free_frames == frames_before);
}

namespace {
bool at_most_four(const void*, const void* shadow, void*) {
    for (int i = 0; i < 16; ++i) {
        if (static_cast<const nk::u8*>(shadow)[i] > 4)
            return false;
    }
    return true;
}
} // namespace

KTEST(nooks_shadow_copies_of_kernel_objects) {
    settle_heap();
    nooks::Extension* extension = load_isolated_test_extension();
    KREQUIRE(extension != nullptr);
    auto fill = nooks::as_domain_function(test_ops(*extension).fill);
    // A kernel object (here on this thread's stack, read-only in the domain) changed by the
    // extension through its shadow.
    nk::u8 object[16] = {};
    nooks::ShadowObject shadow = {object, sizeof object, nullptr, nullptr};
    auto filled = nooks::xpc_call_with_shadow(*extension, fill, shadow, 16, 3);
    KEXPECT(filled.has_value() && filled.value() == 48);
    KEXPECT(object[0] == 3 && object[15] == 3);
    // A validator that refuses the result: the original stays as it was.
    nooks::ShadowObject checked = {object, sizeof object, at_most_four, nullptr};
    auto refused = nooks::xpc_call_with_shadow(*extension, fill, checked, 16, 9);
    KEXPECT(refused.is_error() && refused.error() == nk::Error::Invalid);
    KEXPECT(object[0] == 3 && object[15] == 3);
    auto accepted = nooks::xpc_call_with_shadow(*extension, fill, checked, 16, 4);
    KEXPECT(accepted.has_value() && object[7] == 4);
    // The copies went back to the extension's heap.
    KEXPECT(extension->heap->stats().live_allocations == 0);
    KEXPECT(nooks::unload_extension("test").has_value());
}

KTEST(nooks_dma_and_mmio_are_tracked_and_released) {
    settle_heap();
    auto frames_before = memory::frames().stats().free_frames;
    nooks::Extension* extension = load_isolated_test_extension();
    KREQUIRE(extension != nullptr);
    auto device = nooks::as_domain_function(test_ops(*extension).device);
    // A DMA buffer the extension filled: the bytes are at the bus address (seen through the
    // kernel's physmap), and the tracker holds it.
    auto bus = nooks::xpc_call(*extension, device, 0, 0x5a);
    KREQUIRE(bus.has_value() && bus.value() > 0);
    auto* bytes = phys_to_virt<nk::u8>(nk::u64(bus.value()));
    KEXPECT(bytes[0] == 0x5a && bytes[8191] == 0x5a);
    KEXPECT(extension->tracker.count(nooks::ObjectKind::Dma) == 1);
    KEXPECT(nooks::xpc_call(*extension, device, 1, 0).has_value());
    KEXPECT(extension->tracker.count(nooks::ObjectKind::Dma) == 0);
    // Device registers of a device it has not claimed (the I/O APIC), and RAM: refused.
    auto unclaimed = nooks::xpc_call(*extension, device, 2, 0xfec00000);
    KEXPECT(unclaimed.has_value() && unclaimed.value() == -1);
    auto ram = nooks::xpc_call(*extension, device, 2, 0x100000);
    KEXPECT(ram.has_value() && ram.value() == -1);
    KEXPECT(extension->tracker.count(nooks::ObjectKind::Mmio) == 0);
    // A buffer still held when the extension crashes goes back with the recovery.
    KEXPECT(nooks::xpc_call(*extension, device, 0, 1).has_value());
    KEXPECT(nooks::crash_extension(*extension, NOOKS_CRASH_NULL).is_error());
    KEXPECT(wait_until_settled(*extension));
    KEXPECT(extension->tracker.count(nooks::ObjectKind::Dma) == 0);
    KEXPECT(nooks::unload_extension("test").has_value());
    KEXPECT(memory::frames().stats().free_frames == frames_before);
}

KTEST(nooks_pci_claims_are_released_by_recovery) {
    settle_heap();
    auto* e1000 = pci::find_by_id(0x8086, 0x100e);
    if (!e1000) {
        // QEMU always has one (its default NIC, which the QEMU boot tests rely on); Bochs'
        // configuration has none.
        kprintf("ktest:   no e1000 on this machine: nothing to claim, test skipped\n");
        return;
    }
    nooks::Extension* extension = load_isolated_test_extension();
    KREQUIRE(extension != nullptr);
    auto device = nooks::as_domain_function(test_ops(*extension).device);
    auto status = nooks::xpc_call(*extension, device, 3, (0x8086l << 16) | 0x100e);
    // The register read through the extension's own mapping of BAR 0 is the kernel's value too.
    KREQUIRE(status.has_value() && status.value() >= 0);
    KEXPECT(nk::u32(status.value()) != 0xffffffff);
    KEXPECT(e1000->driver() != nullptr);
    KEXPECT(e1000->command() & 0x4); // bus mastering on
    KEXPECT(extension->tracker.count(nooks::ObjectKind::PciDevice) == 1);
    // A second claim of the same device is refused while it is held.
    auto again = nooks::xpc_call(*extension, device, 3, (0x8086l << 16) | 0x100e);
    KEXPECT(again.has_value() && again.value() == -long(nk::Error::Busy));
    // The crash releases the claim and stops the device's DMA.
    KEXPECT(nooks::crash_extension(*extension, NOOKS_CRASH_NULL).is_error());
    KEXPECT(wait_until_settled(*extension));
    KEXPECT(e1000->driver() == nullptr);
    KEXPECT((e1000->command() & 0x4) == 0);
    KEXPECT(extension->tracker.total() == 0);
    KEXPECT(nooks::unload_extension("test").has_value());
}

KTEST(nooks_port_io_only_on_claimed_devices) {
    settle_heap();
    if (!pci::find_by_id(0x8086, 0x7010)) {
        kprintf("ktest:   no PIIX IDE controller: test skipped\n");
        return;
    }
    nooks::Extension* extension = load_isolated_test_extension();
    KREQUIRE(extension != nullptr);
    auto device = nooks::as_domain_function(test_ops(*extension).device);
    // The claimed IDE controller's legacy status port reads like the kernel's own read of it.
    auto status = nooks::xpc_call(*extension, device, 5, (0x8086l << 16) | 0x7010);
    KREQUIRE(status.has_value() && status.value() >= 0);
    // Bits 1 (IDX) and 2 (CORR) are obsolete in the ATA status register and a drive may toggle
    // them on its own (Bochs' does, as an index pulse); the rest must agree.
    constexpr nk::u8 STABLE_STATUS_BITS = 0xf9;
    KEXPECT((nk::u8(status.value()) & STABLE_STATUS_BITS) ==
            (x86::inb(0x3f6) & STABLE_STATUS_BITS));
    // The keyboard controller is nobody's device here: refused. In report mode the extension
    // gets 0 and carries on; by default it is failed and recovered, its claim released.
    nooks::set_fail_extension_on_check(false);
    auto failures = extension->check_failures;
    auto refused = nooks::xpc_call(*extension, device, 6, 0x64);
    nooks::set_fail_extension_on_check(true);
    KEXPECT(refused.has_value() && refused.value() == 0);
    KEXPECT(extension->check_failures == failures + 1);
    auto aborted = nooks::xpc_call(*extension, device, 6, 0x64);
    KEXPECT(aborted.is_error() && aborted.error() == nk::Error::Aborted);
    KEXPECT(wait_until_settled(*extension));
    KEXPECT(extension->tracker.total() == 0);
    KEXPECT(pci::find_by_id(0x8086, 0x7010)->driver() == nullptr);
    KEXPECT(nooks::unload_extension("test").has_value());
}

KTEST(nooks_native_and_isolated_offer_the_same_api) {
    // The same module binary loads in either mode, so both tables must bind the same names.
    KEXPECT(nooks::isolated_exports().size() == nooks::kernel_exports().size());
    for (const auto& entry : nooks::isolated_exports()) {
        if (nooks::find_kernel_export(entry.name).is_error()) {
            kprintf("ktest:   %s has no native implementation\n", entry.name);
            KEXPECT(false);
        }
    }
}

KTEST(nooks_isolated_survives_every_crash_kind) {
    settle_heap();
    auto frames_before = memory::frames().stats().free_frames;
    nooks::Extension* extension = load_isolated_test_extension();
    KREQUIRE(extension != nullptr);
    for (int kind = 0; kind < NOOKS_CRASH_KIND_COUNT; ++kind) {
        if (kind == NOOKS_CRASH_HANG_CLI && !nooks::nmi_watchdog_running())
            continue; // nothing can interrupt it without an I/O APIC to route the NMI
        auto result = nooks::crash_extension(*extension, kind);
        KEXPECT(result.is_error() && result.error() == nk::Error::Aborted);
        KEXPECT(wait_until_settled(*extension));
        KEXPECT(extension->state == nooks::ExtensionState::Running);
        KEXPECT(nooks::crash_victim_intact());
        // Back to work: the reloaded extension answers.
        auto echo =
            nooks::xpc_call(*extension, nooks::as_domain_function(test_ops(*extension).echo), 1);
        KEXPECT(echo.has_value() && echo.value() == 2);
        // Keep the restart policy out of this test: one restart per kind is expected.
        for (auto& when : extension->restart_times_ns)
            when = 0;
    }
    KEXPECT(extension->faults == NOOKS_CRASH_KIND_COUNT - (nooks::nmi_watchdog_running() ? 0 : 1));
    KEXPECT(nooks::unload_extension("test").has_value());
    KEXPECT(memory::frames().stats().free_frames == frames_before);
}

KTEST(nooks_crash_restart_1000_cycles) {
    settle_heap();
    auto frames_before = memory::frames().stats().free_frames;
    auto heap_before = memory::kernel_heap().stats().live_allocations;
    nooks::Extension* extension = load_isolated_test_extension();
    KREQUIRE(extension != nullptr);
    unsigned recovered = 0;
    for (unsigned cycle = 0; cycle < 1000; ++cycle) {
        auto result = nooks::crash_extension(*extension, NOOKS_CRASH_LEAK);
        if (result.is_error() && wait_until_settled(*extension) &&
            extension->state == nooks::ExtensionState::Running)
            ++recovered;
        for (auto& when : extension->restart_times_ns)
            when = 0;
    }
    KEXPECT(recovered == 1000);
    KEXPECT(extension->restarts == 1000);
    KEXPECT(nooks::unload_extension("test").has_value());
    KEXPECT(memory::frames().stats().free_frames == frames_before);
    KEXPECT(memory::kernel_heap().stats().live_allocations == heap_before);
    kprintf("ktest:   1000 leak-then-crash cycles recovered; last recovery %llu us\n",
            (unsigned long long)nooks::recovery_stats().last_recovery_us);
}
