// In-kernel tests of the kernel address space the boot built: permissions of each section, the
// physmap, guard pages, and live map/unmap through the page-table engine.
#include <arch/x86/gdt.h>
#include <arch/x86/mmu.h>
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/test/ktest.h>

using namespace kernel;
using x86::PageFlags;

extern "C" char __text_start[], __rodata_start[], __data_start[];

namespace {
const int g_constant = 42;
int g_variable = 1;
} // namespace

KTEST(paging_kernel_sections_have_their_permissions) {
    auto& table = memory::kernel_page_table();
    auto text = table.translate(reinterpret_cast<nk::u64>(__text_start));
    KREQUIRE(text.has_value());
    KEXPECT(x86::has_flag(text.value().flags, PageFlags::Execute));
    KEXPECT(!x86::has_flag(text.value().flags, PageFlags::Write));

    auto rodata = table.translate(reinterpret_cast<nk::u64>(&g_constant));
    KREQUIRE(rodata.has_value());
    KEXPECT(!x86::has_flag(rodata.value().flags, PageFlags::Write));
    KEXPECT(!x86::has_flag(rodata.value().flags, PageFlags::Execute));

    auto data = table.translate(reinterpret_cast<nk::u64>(&g_variable));
    KREQUIRE(data.has_value());
    KEXPECT(x86::has_flag(data.value().flags, PageFlags::Write));
    KEXPECT(!x86::has_flag(data.value().flags, PageFlags::Execute));
    // The image is linked at KERNEL_VMA + physical address.
    KEXPECT(data.value().phys == reinterpret_cast<nk::u64>(&g_variable) - KERNEL_VMA);
}

KTEST(paging_identity_map_is_gone) {
    // The boot stub's identity map of low memory must not survive into the kernel's tables.
    KEXPECT(memory::kernel_page_table().translate(0x100000).is_error());
    KEXPECT(memory::kernel_page_table().translate(0).is_error());
}

KTEST(paging_physmap_covers_memory_with_large_pages) {
    auto& table = memory::kernel_page_table();
    auto low = table.translate(PHYSMAP_BASE + 0x200000 + 0x123);
    KREQUIRE(low.has_value());
    KEXPECT(low.value().phys == 0x200123);
    KEXPECT(low.value().size == x86::PageSize::Size2M);
    KEXPECT(!x86::has_flag(low.value().flags, PageFlags::Execute));
    nk::u64 last = memory::frames().max_phys() - 1;
    auto high = table.translate(PHYSMAP_BASE + last);
    KREQUIRE(high.has_value());
    KEXPECT(high.value().phys == last);
}

KTEST(paging_stack_guard_pages_are_unmapped) {
    nk::u64 guards[8];
    nk::usize count = x86::stack_guard_pages(guards, 8);
    KEXPECT(count >= 4);
    for (nk::usize i = 0; i < count; ++i) {
        KEXPECT(memory::kernel_page_table().translate(guards[i]).is_error());
        // ... while the stack right above each guard is mapped.
        KEXPECT(memory::kernel_page_table().translate(guards[i] + 4096).has_value());
    }
}

KTEST(paging_map_write_unmap_live) {
    auto& table = memory::kernel_page_table();
    auto frame = memory::frames().allocate(0);
    KREQUIRE(frame.has_value());
    // An address in the (so far unused) module region.
    constexpr nk::u64 test_address = MODULE_REGION_BASE + 0x1000000;
    nk::u64 tables_before = table.table_pages();
    KREQUIRE(table.map(test_address, frame.value(), PageFlags::Write).has_value());
    auto* through_mapping = reinterpret_cast<volatile nk::u64*>(test_address);
    *through_mapping = 0x1122334455667788ull;
    // The same bytes are visible through the physmap: the mapping reaches the right frame.
    KEXPECT(*phys_to_virt<nk::u64>(frame.value()) == 0x1122334455667788ull);
    KEXPECT(table.map(test_address, frame.value(), PageFlags::Write).error() == nk::Error::Exists);
    auto removed = table.unmap(test_address);
    x86::mmu::invalidate_page(test_address);
    KEXPECT(removed.has_value() && removed.value().phys == frame.value());
    KEXPECT(table.translate(test_address).is_error());
    KEXPECT(table.table_pages() == tables_before);
    KEXPECT(memory::frames().free(frame.value(), 0).has_value());
}

KTEST(paging_read_only_remap_and_protect) {
    auto& table = memory::kernel_page_table();
    auto frame = memory::frames().allocate(0);
    KREQUIRE(frame.has_value());
    constexpr nk::u64 test_address = MODULE_REGION_BASE + 0x1200000;
    KREQUIRE(table.map(test_address, frame.value(), PageFlags::None).has_value());
    auto translation = table.translate(test_address);
    KEXPECT(translation.has_value() && !x86::has_flag(translation.value().flags, PageFlags::Write));
    KEXPECT(table.protect(test_address, PageFlags::Write).has_value());
    x86::mmu::invalidate_page(test_address);
    *reinterpret_cast<volatile nk::u32*>(test_address) = 7;
    KEXPECT(*phys_to_virt<nk::u32>(frame.value()) == 7);
    KEXPECT(table.unmap(test_address).has_value());
    x86::mmu::invalidate_page(test_address);
    KEXPECT(memory::frames().free(frame.value(), 0).has_value());
}

KTEST(paging_is_kernel_readable) {
    KEXPECT(memory::is_kernel_readable(reinterpret_cast<nk::u64>(&g_variable), 8));
    KEXPECT(!memory::is_kernel_readable(0, 8));
    KEXPECT(!memory::is_kernel_readable(0x0000800000000000ull, 8)); // non-canonical
    KEXPECT(!memory::is_kernel_readable(MODULE_REGION_BASE + 0x3000000, 8));
}
