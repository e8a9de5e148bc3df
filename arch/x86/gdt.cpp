#include <arch/x86/gdt.h>

namespace x86 {

extern "C" char boot_stack_guard[];
extern "C" char boot_stack_bottom[];
extern "C" char boot_stack_top[];

struct [[gnu::packed]] TaskStateSegment {
    nk::u32 reserved0;
    nk::u64 rsp[3];
    nk::u64 reserved1;
    nk::u64 ist[7];
    nk::u64 reserved2;
    nk::u16 reserved3;
    nk::u16 io_map_base;
};
static_assert(sizeof(TaskStateSegment) == 104);

} // namespace x86

// The boot TSS, and where the TSS is now (C linkage: x86_domain_call writes RSP0, offset 4).
extern "C" {
alignas(16) x86::TaskStateSegment x86_boot_tss;
x86::TaskStateSegment* x86_tss_pointer = &x86_boot_tss;
}

namespace x86 {

namespace {

struct [[gnu::packed]] DescriptorPointer {
    nk::u16 limit;
    nk::u64 base;
};

constexpr nk::usize IST_STACK_SIZE = 16 * 1024;
constexpr unsigned IST_STACKS = 4;

// Each IST stack sits right above a guard page of its own.
struct alignas(4096) GuardedStack {
    nk::u8 guard[4096];
    nk::u8 stack[IST_STACK_SIZE];
};

[[gnu::section(".bss.page_aligned")]] GuardedStack g_ist_stacks[IST_STACKS];
StackRange g_ist_ranges[IST_STACKS];

// Code/data descriptors: in long mode only the type, DPL, present and L bits matter
// (SDM 3.4.5 and 5.2.1). The accessed bit is set already: loading a selector whose descriptor
// has it clear makes the CPU write the GDT, which is read-only inside a protection domain (an
// IRETQ to CPL 1 loads CS and SS there).
constexpr nk::u64 KERNEL_CODE = 0x00af9b000000ffff;    // P, DPL0, code, L
constexpr nk::u64 KERNEL_DATA = 0x00cf93000000ffff;    // P, DPL0, data writable
constexpr nk::u64 USER_DATA = 0x00cff3000000ffff;      // P, DPL3, data writable
constexpr nk::u64 USER_CODE = 0x00affb000000ffff;      // P, DPL3, code, L
constexpr nk::u64 EXTENSION_CODE = 0x00afbb000000ffff; // P, DPL1, code, L
constexpr nk::u64 EXTENSION_DATA = 0x00cfb3000000ffff; // P, DPL1, data writable

nk::u64 g_gdt[9];

// 64-bit TSS descriptor: 16 bytes, type 0x9 (available 64-bit TSS), SDM Figure 7-4.
void set_tss_descriptor(nk::u64 base, nk::u64 limit) {
    g_gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
               (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    g_gdt[6] = base >> 32;
}

} // namespace

void gdt_init() {
    for (unsigned i = 0; i < IST_STACKS; ++i) {
        auto bottom = reinterpret_cast<nk::u64>(g_ist_stacks[i].stack);
        g_ist_ranges[i] = {bottom, bottom + IST_STACK_SIZE};
        x86_boot_tss.ist[i] = g_ist_ranges[i].top;
    }
    x86_boot_tss.io_map_base = sizeof(TaskStateSegment); // no I/O permission bitmap

    g_gdt[0] = 0;
    g_gdt[1] = KERNEL_CODE;
    g_gdt[2] = KERNEL_DATA;
    g_gdt[3] = USER_DATA;
    g_gdt[4] = USER_CODE;
    set_tss_descriptor(reinterpret_cast<nk::u64>(&x86_boot_tss), sizeof(TaskStateSegment) - 1);
    g_gdt[7] = EXTENSION_CODE;
    g_gdt[8] = EXTENSION_DATA;

    DescriptorPointer pointer = {sizeof(g_gdt) - 1, reinterpret_cast<nk::u64>(g_gdt)};
    asm volatile("lgdt %0" ::"m"(pointer));
    // Reload CS through a far return, then the data segments and the task register.
    asm volatile("pushq %[cs]\n"
                 "leaq 1f(%%rip), %%rax\n"
                 "pushq %%rax\n"
                 "lretq\n"
                 "1:\n"
                 "movw %[ds], %%ax\n"
                 "movw %%ax, %%ds\n"
                 "movw %%ax, %%es\n"
                 "movw %%ax, %%ss\n"
                 "xorw %%ax, %%ax\n"
                 "movw %%ax, %%fs\n"
                 "movw %%ax, %%gs\n"
                 "ltr %w[tss]\n"
                 :
                 : [cs] "i"(KERNEL_CS), [ds] "i"(KERNEL_DS), [tss] "r"(TSS_SELECTOR)
                 : "rax", "memory");
}

void tss_set_kernel_stack(nk::u64 rsp0) {
    x86_tss_pointer->rsp[0] = rsp0;
}

nk::u64 tss_kernel_stack() {
    return x86_tss_pointer->rsp[0];
}

void relocate_tss(nk::u64 area) {
    auto* tss = reinterpret_cast<TaskStateSegment*>(area);
    *tss = *x86_tss_pointer;
    tss->io_map_base = TSS_IO_BITMAP_OFFSET;
    auto* bitmap = reinterpret_cast<nk::u8*>(area + TSS_IO_BITMAP_OFFSET);
    for (nk::u64 i = 0; i <= TSS_IO_BITMAP_BYTES; ++i) // and the closing byte of ones
        bitmap[i] = 0xff;
    // The limit covers the closing byte; `ltr` needs the descriptor not busy (type 0x9 again).
    set_tss_descriptor(area, TSS_IO_BITMAP_OFFSET + TSS_IO_BITMAP_BYTES);
    x86_tss_pointer = tss;
    asm volatile("ltr %w0" ::"r"(TSS_SELECTOR) : "memory");
}

void set_ist_stack(Ist slot, nk::u64 bottom, nk::u64 top) {
    unsigned index = unsigned(slot) - 1;
    if (slot == Ist::None || index >= IST_STACKS)
        return;
    g_ist_ranges[index] = {bottom, top};
    x86_tss_pointer->ist[index] = top;
}

nk::usize stack_guard_pages(nk::u64* out, nk::usize capacity) {
    nk::usize count = 0;
    if (count < capacity)
        out[count++] = reinterpret_cast<nk::u64>(boot_stack_guard);
    for (unsigned i = 0; i < IST_STACKS && count < capacity; ++i)
        out[count++] = reinterpret_cast<nk::u64>(g_ist_stacks[i].guard);
    return count;
}

StackRange ist_stack(Ist slot) {
    unsigned index = unsigned(slot) - 1;
    if (slot == Ist::None || index >= IST_STACKS)
        return {0, 0};
    return g_ist_ranges[index];
}

StackRange boot_stack() {
    return {reinterpret_cast<nk::u64>(boot_stack_bottom),
            reinterpret_cast<nk::u64>(boot_stack_top)};
}

} // namespace x86
