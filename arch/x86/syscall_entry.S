/*
 * The `syscall` entry point (SDM Vol. 2B, SYSCALL): the CPU saves the user RIP in RCX and RFLAGS
 * in R11, loads CS/SS from STAR, masks RFLAGS with SFMASK (IF cleared here) — and does NOT switch
 * stacks. This single-CPU kernel keeps the current thread's kernel stack top in a global, set at
 * every context switch, and the user RSP in a scratch global while it switches.
 *
 * The saved registers form a SyscallFrame (syscall.h) on the kernel stack; the C++ dispatcher may
 * change RAX (the result). Return is by SYSRETQ when the return RIP is canonical;
 * otherwise the process is killed (SYSRET with a non-canonical RCX would fault in ring 0 on
 * Intel CPUs; only a program executing `syscall` in the last two bytes of user space gets there).
 */
    .section .text
    .code64
    .globl x86_syscall_entry
x86_syscall_entry:
    movq %rsp, x86_syscall_user_rsp(%rip)
    movq x86_syscall_kernel_rsp(%rip), %rsp
    pushq x86_syscall_user_rsp(%rip) /* user rsp */
    pushq %r11                        /* user rflags */
    pushq %rcx                        /* user rip */
    pushq %rax                        /* number, becomes the result */
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %r10
    pushq %r8
    pushq %r9
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    xorl %ebp, %ebp          /* backtraces stop at the user boundary */
    movq %rsp, %rdi
    sti
    call x86_syscall_dispatch
    cli
    /* Return by SYSRETQ only to a canonical RIP (frame offset 104 = the saved RCX). */
    movq 104(%rsp), %rcx
    sarq $47, %rcx
    addq $1, %rcx            /* 0 or -1 (canonical) become 1 or 0 */
    cmpq $1, %rcx
    ja 1f
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    popq %r9
    popq %r8
    popq %r10
    popq %rdx
    popq %rsi
    popq %rdi
    popq %rax
    popq %rcx                /* user rip */
    popq %r11                /* user rflags */
    popq %rsp                /* user rsp: from here on, no kernel stack */
    sysretq
1:  /* Only a program that put a syscall at the very top of user space gets here. */
    movq %rsp, %rdi
    call x86_syscall_bad_return
    ud2

    .section .bss
    .balign 8
    .globl x86_syscall_kernel_rsp
x86_syscall_kernel_rsp: .quad 0
x86_syscall_user_rsp: .quad 0

    .section .note.GNU-stack, "", @progbits
