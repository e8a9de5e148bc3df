/*
 * Interrupt entry stubs: one per vector, each pushing a uniform (error code, vector) pair and
 * jumping to a common path that saves the general registers as an InterruptFrame and calls
 * x86_interrupt_entry(frame). Vectors 8, 10-14, 17, 21, 29 and 30 push an error code of their own
 * (SDM Vol. 3A, Table 6-1); the others get a zero.
 */
    .section .text
    .code64

.macro STUB vector
    .balign 16
interrupt_stub_\vector:
.if (\vector == 8) || ((\vector >= 10) && (\vector <= 14)) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
    pushq $\vector
.else
    pushq $0
    pushq $\vector
.endif
    jmp interrupt_common
.endm

interrupt_common:
    /* Known flags before any C++ runs: the interrupted code (an extension, say) may have left
       the direction or alignment-check flag set. IF is clear already (interrupt gates). */
    pushq $2
    popfq
    /* From CPL 1 the CPU has switched to the trampoline stack (TSS.RSP0 while a thread is inside
       a protection domain), which every domain maps writable. The frame moves to the thread's
       kernel stack, below the slot of its innermost crossing, under the thread's own page
       table; the domain's CR3 waits in the trampoline's bottom word. */
    cmpq x86_trampoline_bottom(%rip), %rsp
    jb 5f
    cmpq x86_trampoline_top(%rip), %rsp
    jae 5f
    pushq %rax
    pushq %rcx
    pushq %rdx
    movq %cr3, %rdx
    movq x86_thread_cr3(%rip), %rax
    orq x86_cr3_keep_tlb(%rip), %rax
    movq %rax, %cr3
    movq x86_trampoline_bottom(%rip), %rax
    movq %rdx, (%rax)
    movq x86_domain_slot(%rip), %rax
    subq $56, %rax
    /* vector, error code, RIP, CS, RFLAGS, RSP, SS: 7 words above the 3 just pushed */
    movq 24(%rsp), %rcx
    movq %rcx, 0(%rax)
    movq 32(%rsp), %rcx
    movq %rcx, 8(%rax)
    movq 40(%rsp), %rcx
    movq %rcx, 16(%rax)
    movq 48(%rsp), %rcx
    movq %rcx, 24(%rax)
    movq 56(%rsp), %rcx
    movq %rcx, 32(%rax)
    movq 64(%rsp), %rcx
    movq %rcx, 40(%rax)
    movq 72(%rsp), %rcx
    movq %rcx, 48(%rax)
    popq %rdx
    popq %rcx
    xchgq %rax, %rsp            /* RSP: the moved frame; RAX: the trampoline (saved RAX on top) */
    movq (%rax), %rax
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq x86_trampoline_bottom(%rip), %r12
    movq (%r12), %r12           /* the domain's CR3 */
    pushq %r12
    jmp 1f
5:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    /* Leave a protection domain first: if CR3 is not the running thread's own page table (the
       kernel's, or its process's), the interrupt arrived while an extension ran in its domain,
       where kernel data is read-only. The interrupted CR3 is part of the frame and comes back
       on the way out. */
    movq %cr3, %r12
    pushq %r12
    movq %r12, %rax
    movq $0x000ffffffffff000, %rcx
    andq %rcx, %rax
    cmpq x86_thread_cr3(%rip), %rax
    je 1f
    movq x86_thread_cr3(%rip), %rax
    orq x86_cr3_keep_tlb(%rip), %rax
    movq %rax, %cr3
1:
    movq %rsp, %rdi
    /* Align the stack for the C++ call (the frame has an odd number of 8-byte slots on some
       entries); RBX is callee-saved and keeps the frame pointer. */
    movq %rsp, %rbx
    andq $-16, %rsp
    call x86_interrupt_entry
    movq %rbx, %rsp
    /* Back to CPL 1: by IRETQ from the trampoline, under the domain's page table (the kernel
       stack is read-only there). Frame offsets: CR3 0, RAX 120, RIP 144, CS 152 ... SS 176. */
    movl 152(%rsp), %eax
    andl $3, %eax
    cmpl $1, %eax
    je 6f
    popq %r12
    movq %cr3, %rax
    cmpq %rax, %r12
    je 2f
    orq x86_cr3_keep_tlb(%rip), %r12
    movq %r12, %cr3
2:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp /* vector and error code */
    iretq
6:
    movq x86_trampoline_top(%rip), %rax
    movq 144(%rsp), %rcx
    movq %rcx, -40(%rax)
    movq 152(%rsp), %rcx
    movq %rcx, -32(%rax)
    movq 160(%rsp), %rcx
    movq %rcx, -24(%rax)
    movq 168(%rsp), %rcx
    movq %rcx, -16(%rax)
    movq 176(%rsp), %rcx
    movq %rcx, -8(%rax)
    movq 120(%rsp), %rcx
    movq %rcx, -48(%rax)        /* RAX */
    movq 0(%rsp), %rcx
    orq x86_cr3_keep_tlb(%rip), %rcx
    movq %rcx, -56(%rax)        /* the domain's CR3 */
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    movq x86_trampoline_top(%rip), %rsp
    subq $56, %rsp
    popq %rax
    movq %rax, %cr3
    popq %rax
    iretq

.altmacro
.macro STUBS from, to
    STUB \from
.if \to-\from
    STUBS %(\from+1), \to
.endif
.endm

STUBS 0, 47
STUBS 48, 95
STUBS 96, 143
STUBS 144, 191
STUBS 192, 239
STUBS 240, 255

.macro STUB_ADDRESS vector
    .quad interrupt_stub_\vector
.endm
.macro STUB_ADDRESSES from, to
    STUB_ADDRESS %(\from)
.if \to-\from
    STUB_ADDRESSES %(\from+1), \to
.endif
.endm

    .section .rodata
    .balign 8
    .globl interrupt_stub_table
interrupt_stub_table:
STUB_ADDRESSES 0, 47
STUB_ADDRESSES 48, 95
STUB_ADDRESSES 96, 143
STUB_ADDRESSES 144, 191
STUB_ADDRESSES 192, 239
STUB_ADDRESSES 240, 255

    .section .bss
    .balign 8
    /* The running thread's own page table (physical), kept by the scheduler. */
    .globl x86_thread_cr3
x86_thread_cr3: .quad 0
    /* Bit 63 when PCIDs are on: reloading a tagged CR3 then keeps that PCID's translations. */
    .globl x86_cr3_keep_tlb
x86_cr3_keep_tlb: .quad 0

    .section .note.GNU-stack, "", @progbits
