// Calling into a protection domain and getting out again, by return or by abort.
//
// x86_domain_call saves a recovery point (callee-saved registers, stack pointer, flags and the
// caller's CR3), loads the domain's CR3, switches to the domain's stack and calls the function.
// A normal return restores all of it. x86_domain_abort — from a fault handler, a watchdog, a
// failed check — unwinds to the recovery point instead: the call returns `result` as if the
// function had, whatever state the domain was left in. Nested calls each have their own point.
#pragma once

#include <nk/types.h>

namespace x86 {

struct DomainRecoveryPoint {
    nk::u64 rbx, rbp, r12, r13, r14, r15;
    nk::u64 rsp; // at the return address of x86_domain_call
    nk::u64 rflags;
    nk::u64 cr3;  // the caller's, restored on the way out
    nk::u64 rsp0; // TSS.RSP0 before the call, restored on the way out
};

using DomainFunction = long (*)(long, long, long);

extern "C" long x86_domain_call(DomainRecoveryPoint* point, nk::u64 domain_cr3, nk::u64 stack_top,
                                DomainFunction function, long a0, long a1, long a2);
extern "C" [[noreturn]] void x86_domain_abort(const DomainRecoveryPoint* point, long result);

// Loads a domain's page table / the thread's own one, for wrappers: code running on the domain's
// behalf that must write kernel data. The value is a full CR3 (root and PCID).
void enter_address_space(nk::u64 cr3);
nk::u64 read_address_space();

} // namespace x86
