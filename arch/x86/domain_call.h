// Calling into a protection domain at CPL 1 and getting out again, by return or by abort.
//
// x86_domain_call saves a recovery point (callee-saved registers, stack pointer, flags, the
// caller's CR3 and entry stacks), loads the domain's CR3 and enters the function at CPL 1 on the
// domain's stack (domain_call.S says how). Its return comes back through a gate and restores all
// of it. x86_domain_abort — from a fault handler, a watchdog, a failed check — unwinds to the
// recovery point instead: the call returns `result` as if the function had, whatever state the
// domain was left in. Nested calls each have their own point.
//
// From CPL 1 the extension reaches the kernel only through interrupt gates: the kernel services
// it imports are stubs raising XPC_SERVICE_VECTOR (service_stub), handled like an interrupt; any
// interrupt or exception arriving at CPL 1 lands on the trampoline stack (TSS.RSP0) and is moved
// to the thread's kernel stack by the interrupt entry path.
#pragma once

#include <nk/types.h>

namespace x86 {

struct DomainRecoveryPoint {
    nk::u64 rbx, rbp, r12, r13, r14, r15;
    nk::u64 rsp; // at the return address of x86_domain_call
    nk::u64 rflags;
    nk::u64 cr3;  // the caller's, restored on the way out
    nk::u64 rsp0; // TSS.RSP0 before the call, restored on the way out
    nk::u64 slot; // the outer crossing's slot (x86_domain_slot), restored on the way out
};

// The vectors of the two gates (DPL 1): an entry point returning, an imported service called.
constexpr nk::u8 XPC_RETURN_VECTOR = 0xf0;
constexpr nk::u8 XPC_SERVICE_VECTOR = 0xf1;

// Service stubs: stub `index` raises XPC_SERVICE_VECTOR with `index` in RAX. An isolated
// extension's imports are bound to them.
constexpr unsigned SERVICE_STUBS = 128;
nk::u64 service_stub(unsigned index);

// The trampoline stack, [bottom, top): pages mapped writable in every domain, where the CPU
// pushes what arrives at CPL 1. Set once at start-up, before the first crossing.
void set_domain_trampoline(nk::u64 bottom, nk::u64 top);

// The slot of the running thread's innermost crossing (0 outside any): per thread, saved and
// restored by the scheduler.
nk::u64 domain_slot();
void set_domain_slot(nk::u64 slot);

using DomainFunction = long (*)(long, long, long);

extern "C" long x86_domain_call(DomainRecoveryPoint* point, nk::u64 domain_cr3, nk::u64 stack_top,
                                DomainFunction function, long a0, long a1, long a2);
extern "C" [[noreturn]] void x86_domain_abort(const DomainRecoveryPoint* point, long result);

// Loads a domain's page table / the thread's own one. The value is a full CR3 (root and PCID).
void enter_address_space(nk::u64 cr3);
nk::u64 read_address_space();

} // namespace x86
