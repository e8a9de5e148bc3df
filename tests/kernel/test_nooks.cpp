// In-kernel tests of the Nooks subsystem's memory pieces.
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/test/ktest.h>
#include <nooks/extension_manager.h>
#include <nooks/module_region.h>
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
