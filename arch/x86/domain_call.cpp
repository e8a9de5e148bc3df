#include <arch/x86/cpu.h>
#include <arch/x86/domain_call.h>

extern "C" nk::u64 x86_cr3_keep_tlb;

namespace x86 {

void enter_address_space(nk::u64 cr3) {
    write_cr3(cr3 | x86_cr3_keep_tlb);
}

nk::u64 read_address_space() {
    return read_cr3();
}

} // namespace x86
