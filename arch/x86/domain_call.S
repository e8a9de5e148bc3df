/*
 * Crossings into a protection domain at CPL 1, and back (domain_call.h).
 *
 * long x86_domain_call(point [rdi], domain_cr3 [rsi], stack_top [rdx], function [rcx],
 *                      a0 [r8], a1 [r9], a2 [8(%rsp)])
 * void x86_domain_abort(point [rdi], result [rsi])
 * Offsets into DomainRecoveryPoint: rbx 0, rbp 8, r12 16, r13 24, r14 32, r15 40, rsp 48,
 * rflags 56, cr3 64, rsp0 72, slot 80.
 *
 * The way in is an IRETQ to CPL 1 (SDM Vol. 3A, 6.14.3), from a frame built on the trampoline
 * stack, which every domain maps writable, after the domain's page table is loaded. The way out is
 * a gate: the function returns to x86_domain_return_stub (kernel text, executable at CPL 1),
 * which raises vector XPC_RETURN_VECTOR through a DPL 1 interrupt gate; the CPU then switches to
 * TSS.RSP0 — the trampoline stack again, since the domain could not write the kernel stack.
 *
 * No register carries the recovery point across the call: the extension may change any of them.
 * Its address is kept on the kernel stack (read-only in every domain) in a slot that the global
 * x86_domain_slot points at while the thread is inside (the scheduler saves it per thread); the
 * interrupt entry path moves frames arriving on the trampoline to the kernel stack below that
 * slot.
 */
    .set EXTENSION_CS, 0x39
    .set EXTENSION_DS, 0x41
    .set RFLAGS_IF, 0x200
    .set XPC_RETURN_VECTOR, 0xf0
    .set XPC_SERVICE_VECTOR, 0xf1

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
    /* Nothing may interrupt the switch: RSP0, the slot and the page table change together. */
    cli
    movq %cr3, %r10
    movq %r10, 64(%rdi)
    movq x86_tss_pointer(%rip), %r10
    movq 4(%r10), %r11
    movq %r11, 72(%rdi)         /* the outer TSS.RSP0 */
    movq x86_domain_slot(%rip), %r11
    movq %r11, 80(%rdi)         /* the outer slot */
    pushq %rdi                  /* the slot: 16-byte aligned (the call left RSP at 8 mod 16) */
    movq %rsp, x86_domain_slot(%rip)
    movq x86_trampoline_top(%rip), %r11
    movq %r11, 4(%r10)          /* TSS.RSP0: the trampoline, while inside */
    /* The function returns into the gate back. */
    leaq x86_domain_return_stub(%rip), %r10
    movq %r10, -8(%rdx)
    /* IRETQ frame: RIP, CS, RFLAGS (IF set, IOPL 0), RSP, SS. */
    movq %rcx, -40(%r11)
    movq $EXTENSION_CS, -32(%r11)
    /* The caller's interrupt flag: an IRQ handler or timer callback runs with interrupts off,
       anything else with them on. IOPL 0 keeps the extension from changing it. */
    movq 56(%rdi), %r10
    andq $RFLAGS_IF, %r10
    orq $2, %r10
    movq %r10, -24(%r11)
    leaq -8(%rdx), %r10
    movq %r10, -16(%r11)
    movq $EXTENSION_DS, -8(%r11)
    leaq -40(%r11), %rsp
    orq x86_cr3_keep_tlb(%rip), %rsi
    movq %rsi, %cr3
    movq %r8, %rdi
    movq %r9, %rsi
    movq %rax, %rdx
    /* Kernel values stay in the kernel. */
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    iretq

    /* Executed at CPL 1: where an entry point of the extension returns to. */
    .globl x86_domain_return_stub
x86_domain_return_stub:
    int $XPC_RETURN_VECTOR
    ud2

    /* The XPC_RETURN_VECTOR gate, on the trampoline stack: RAX holds the result. */
    .globl x86_domain_return_entry
x86_domain_return_entry:
    pushq $2                    /* known flags: DF and AC clear, IF clear */
    popfq
    movq x86_thread_cr3(%rip), %r10
    orq x86_cr3_keep_tlb(%rip), %r10
    movq %r10, %cr3
    movq x86_domain_slot(%rip), %rdi
    testq %rdi, %rdi
    jz 1f
    movq (%rdi), %rdi
    movq %rax, %rsi
    jmp x86_domain_abort
1:  /* No crossing to return from: only kernel code could have raised the vector. */
    ud2

    .globl x86_domain_abort
x86_domain_abort:
    /* Page table first (back to one where the kernel stack is writable), then the stack. */
    movq 64(%rdi), %r10
    orq x86_cr3_keep_tlb(%rip), %r10
    movq %r10, %cr3
    movq x86_tss_pointer(%rip), %r10
    movq 72(%rdi), %r11
    movq %r11, 4(%r10)
    movq 80(%rdi), %r11
    movq %r11, x86_domain_slot(%rip)
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

    /* The kernel services an isolated extension imports: stub N raises XPC_SERVICE_VECTOR with
       N in EAX (the service's index in nooks' table of exports), through a DPL 1 gate. 16 bytes
       each. */
    .balign 16
    .globl x86_service_stubs
x86_service_stubs:
    .set service, 0
    .rept 128
    movl $service, %eax
    int $XPC_SERVICE_VECTOR
    ret
    .balign 16, 0xcc
    .set service, service + 1
    .endr
    .globl x86_service_stubs_end
x86_service_stubs_end:

    .section .bss
    .balign 8
    /* The kernel-stack slot holding the innermost crossing's recovery point (0 outside). */
    .globl x86_domain_slot
x86_domain_slot: .quad 0
    /* The trampoline stack (module region, writable in every domain): [bottom, top). */
    .globl x86_trampoline_bottom
x86_trampoline_bottom: .quad 0
    .globl x86_trampoline_top
x86_trampoline_top: .quad 0

    .section .note.GNU-stack, "", @progbits
