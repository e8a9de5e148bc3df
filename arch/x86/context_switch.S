/*
 * x86_switch_context(u64* old_rsp [rdi], u64 new_rsp [rsi])
 * Saves the callee-saved registers on the current stack, swaps stacks, restores the other
 * context's registers and returns into it.
 */
    .section .text
    .code64
    .globl x86_switch_context
x86_switch_context:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/*
 * First code a new thread runs: x86_switch_context "returns" here with R12 = entry and
 * R13 = argument (laid out by prepare_thread_stack). RBP is zero so backtraces stop here.
 */
    .globl x86_thread_trampoline
x86_thread_trampoline:
    sti
    movq %r13, %rdi
    call *%r12
    /* Entry functions end their thread themselves; returning is a bug. */
    ud2

/*
 * x86_enter_user(rip, rsp, rdi_value, rsi_value): iretq to ring 3 (SDM Vol. 3A, 6.14.2). The
 * selectors are USER_CS = 0x23 and USER_DS = 0x1b (gdt.h). General registers are cleared so no
 * kernel value leaks into the program.
 */
    .globl x86_enter_user
x86_enter_user:
    cli
    pushq $0x1b           /* SS */
    pushq %rsi            /* RSP */
    pushq $0x202          /* RFLAGS: IF */
    pushq $0x23           /* CS */
    pushq %rdi            /* RIP */
    movq %rdx, %rdi
    movq %rcx, %rsi
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    movw $0x1b, %dx
    movw %dx, %ds
    movw %dx, %es
    xorl %edx, %edx
    iretq

    .section .note.GNU-stack, "", @progbits
