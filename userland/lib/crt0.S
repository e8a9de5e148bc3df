/* Program entry. The kernel enters _start with RSP 16-byte aligned and pointing at argc,
 * followed by argv[0..argc), a NULL pointer and the strings: the System V initial stack without
 * envp and auxv. */
    .section .text.nk_entry, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    /* A zero frame pointer ends backtraces here. */
    xor %ebp, %ebp
    cld
    mov (%rsp), %rdi
    lea 8(%rsp), %rsi
    /* The call pushes the return address, so the callee sees RSP % 16 == 8 as the ABI wants. */
    and $-16, %rsp
    call nk_user_start
    ud2
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
