/*
 * long x86_domain_call(point [rdi], domain_cr3 [rsi], stack_top [rdx], function [rcx],
 *                      a0 [r8], a1 [r9], a2 [8(%rsp)])
 * void x86_domain_abort(point [rdi], result [rsi])
 * See domain_call.h. Offsets into DomainRecoveryPoint: rbx 0, rbp 8, r12 16, r13 24, r14 32,
 * r15 40, rsp 48, rflags 56, cr3 64, rsp0 72.
 *
 * No register carries the recovery point across the call: the extension may change any of
 * them. The point's address is kept on the kernel stack (read-only in every domain) in a slot
 * that TSS.RSP0 points at for the duration of the call (the TSS is read-only there too), which
 * is also where a privilege change to ring 0 must put the stack while the thread is inside.
 */
    .section .text
    .code64
    .globl x86_domain_call
x86_domain_call:
    movq 8(%rsp), %rax          /* a2, before the stack changes */
    movq %rbx, 0(%rdi)
    movq %rbp, 8(%rdi)
    movq %r12, 16(%rdi)
    movq %r13, 24(%rdi)
    movq %r14, 32(%rdi)
    movq %r15, 40(%rdi)
    movq %rsp, 48(%rdi)
    pushfq
    popq 56(%rdi)
    movq %cr3, %r10
    movq %r10, 64(%rdi)
    movq x86_tss+4(%rip), %r10
    movq %r10, 72(%rdi)         /* the outer TSS.RSP0 */
    pushq %rdi                  /* the slot: 16-byte aligned (the call left RSP at 8 mod 16) */
    movq %rsp, x86_tss+4(%rip)
    /* Stack first, then page table: the domain stack is writable under both tables, the
       kernel stack is not writable in the domain, and an interrupt may arrive between the two
       instructions and push its frame onto whichever stack is current. */
    movq %rdx, %rsp
    orq x86_cr3_keep_tlb(%rip), %rsi
    movq %rsi, %cr3
    movq %r8, %rdi
    movq %r9, %rsi
    movq %rax, %rdx
    xorl %ebp, %ebp
    call *%rcx
    /* Normal return: RAX holds the result. The flags the extension left (direction, alignment
       check) matter to none of the instructions up to the POPFQ below, which restores the
       caller's. The thread's own page table first (the caller's, whoever called: wrappers and
       interrupt handlers run under it): the slot is read through it, not through the domain's,
       whose PCID may still cache a kernel-stack page that has since been freed and reused. */
    movq x86_thread_cr3(%rip), %r10
    orq x86_cr3_keep_tlb(%rip), %r10
    movq %r10, %cr3
    movq x86_tss+4(%rip), %rdi
    movq (%rdi), %rdi
    movq %rax, %rsi
    /* fall through */

    .globl x86_domain_abort
x86_domain_abort:
    /* Page table first (back to one where the kernel stack is writable), then the stack. */
    movq 64(%rdi), %r10
    orq x86_cr3_keep_tlb(%rip), %r10
    movq %r10, %cr3
    movq 72(%rdi), %r10
    movq %r10, x86_tss+4(%rip)
    movq 48(%rdi), %rsp
    movq 8(%rdi), %rbp
    movq 16(%rdi), %r12
    movq 24(%rdi), %r13
    movq 32(%rdi), %r14
    movq 40(%rdi), %r15
    pushq 56(%rdi)
    popfq
    movq 0(%rdi), %rbx
    movq %rsi, %rax
    ret

    .section .note.GNU-stack, "", @progbits
