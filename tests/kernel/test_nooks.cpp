// In-kernel tests of the Nooks subsystem's memory pieces.
#include <arch/x86/interrupt_state.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/sched/scheduler.h>
#include <kernel/test/ktest.h>
#include <nooks/extension_manager.h>
#include <nooks/module_region.h>
#include <nooks/protection_domain.h>
#include <nooks/test_extension.h>

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
    KEXPECT(nooks::find_extension("test") == nullptr);
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
