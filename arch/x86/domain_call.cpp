#include <arch/x86/cpu.h>
#include <arch/x86/domain_call.h>

extern "C" nk::u64 x86_cr3_keep_tlb;
extern "C" nk::u64 x86_domain_slot;
extern "C" nk::u64 x86_trampoline_bottom;
extern "C" nk::u64 x86_trampoline_top;
extern "C" char x86_service_stubs[];

namespace x86 {

void enter_address_space(nk::u64 cr3) {
    write_cr3(cr3 | x86_cr3_keep_tlb);
}

nk::u64 read_address_space() {
    return read_cr3();
}

nk::u64 service_stub(unsigned index) {
    return index < SERVICE_STUBS ? reinterpret_cast<nk::u64>(x86_service_stubs) + 16 * index : 0;
}

void set_domain_trampoline(nk::u64 bottom, nk::u64 top) {
    x86_trampoline_bottom = bottom;
    x86_trampoline_top = top;
}

nk::u64 domain_slot() {
    return x86_domain_slot;
}

void set_domain_slot(nk::u64 slot) {
    x86_domain_slot = slot;
}

} // namespace x86
