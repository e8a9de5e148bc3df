// In-kernel tests of the Nooks subsystem's memory pieces.
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/test/ktest.h>
#include <nooks/module_region.h>

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
