/*
 * Multiboot2 entry. GRUB enters in 32-bit protected mode with paging off, EAX = the Multiboot2
 * magic and EBX = the physical address of the boot information (Multiboot2 spec 3.3, "I386
 * machine state"). This stub builds temporary page tables, enters long mode (Intel SDM Vol. 3A,
 * 10.8.5 "Initializing IA-32e Mode") and jumps to the higher-half kernel, which soon replaces
 * these tables with its own.
 *
 * Temporary tables (2 MiB pages):
 *   PML4[0]   -> identity map of 0..4 GiB   (only while the stub still runs low)
 *   PML4[256] -> the same 0..4 GiB at 0xffff800000000000 (early physmap)
 *   PML4[511] -> PDPT[510] maps 0xffffffff80000000.. to physical 0..1 GiB (the kernel image)
 */

#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define KERNEL_VMA 0xffffffff80000000

#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define CR0_PG (1 << 31)
#define CR0_WP (1 << 16)
#define CR4_PAE (1 << 5)
#define PTE_P 1
#define PTE_W 2
#define PTE_PS 0x80

    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    /* End tag (spec 3.1.3). No framebuffer request: the kernel wants VGA text mode. */
    .balign 8
    .word 0, 0
    .long 8
mb2_header_end:

    .section .boot.bss, "aw", @nobits
    .balign 4096
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096 * 4
boot_early_stack: .skip 4096
boot_early_stack_top:

    .section .boot.data, "aw"
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff /* 0x08: 64-bit ring 0 code (L=1) */
    .quad 0x00cf92000000ffff /* 0x10: ring 0 data */
boot_gdt_end:
boot_gdt_pointer:
    .word boot_gdt_end - boot_gdt - 1
    .quad boot_gdt

no_long_mode_message:
    .asciz "PANIC: this CPU has no long mode (x86_64); cannot boot"

    .section .boot.text, "ax"
    .code32
    .globl _start32
_start32:
    cli
    cld
    movl %eax, saved_magic
    movl %ebx, saved_info
    /* The TSC at entry: the kernel reports how long its initialisation took since here. */
    rdtsc
    movl %eax, boot_entry_tsc - KERNEL_VMA
    movl %edx, boot_entry_tsc - KERNEL_VMA + 4
    movl $boot_early_stack_top, %esp

    /* Long mode available? CPUID 0x80000001:EDX bit 29 (SDM Vol. 2A, CPUID). */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    testl $(1 << 29), %edx
    jz no_long_mode
    movl %edx, %ebp /* remember NX support (bit 20) */

    /* PD entries: 2048 x 2 MiB identity pages covering 0..4 GiB. */
    movl $boot_pd, %edi
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $(PTE_P | PTE_W | PTE_PS), %eax
    movl %eax, (%edi, %ecx, 8)
    movl %ecx, %eax
    shrl $11, %eax            /* high dword of the address: ecx * 2 MiB >> 32 */
    movl %eax, 4(%edi, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jne 1b

    /* PDPT (low): four PDs. */
    movl $boot_pdpt_low, %edi
    movl $boot_pd + (PTE_P | PTE_W), %eax
    movl %eax, 0(%edi)
    addl $4096, %eax
    movl %eax, 8(%edi)
    addl $4096, %eax
    movl %eax, 16(%edi)
    addl $4096, %eax
    movl %eax, 24(%edi)

    /* PDPT (high): entry 510 -> first PD (physical 0..1 GiB at -2 GiB). */
    movl $boot_pdpt_high, %edi
    movl $boot_pd + (PTE_P | PTE_W), %eax
    movl %eax, 510 * 8(%edi)

    movl $boot_pml4, %edi
    movl $boot_pdpt_low + (PTE_P | PTE_W), %eax
    movl %eax, 0(%edi)
    movl %eax, 256 * 8(%edi)
    movl $boot_pdpt_high + (PTE_P | PTE_W), %eax
    movl %eax, 511 * 8(%edi)

    /* SDM 10.8.5: PAE on, CR3, EFER.LME, then paging. */
    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    testl $(1 << 20), %ebp
    jz 2f
    orl $EFER_NXE, %eax
2:  wrmsr
    movl %cr0, %eax
    orl $(CR0_PG | CR0_WP), %eax
    movl %eax, %cr0

    lgdt boot_gdt_pointer
    ljmp $0x08, $start64_low

no_long_mode:
    /* Say why on the VGA text screen, then stop. */
    movl $no_long_mode_message, %esi
    movl $0xb8000, %edi
3:  lodsb
    testb %al, %al
    jz 4f
    movb %al, (%edi)
    movb $0x4f, 1(%edi)
    addl $2, %edi
    jmp 3b
4:  hlt
    jmp 4b

    .code64
start64_low:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $start64_high, %rax
    jmp *%rax

    .section .boot.data, "aw"
    .globl saved_magic
saved_magic: .long 0
    .globl saved_info
saved_info: .long 0

    .section .text.entry, "ax"
start64_high:
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    movl saved_magic, %edi   /* a 32-bit move zero-extends into RDI */
    movl saved_info, %esi
    call kmain
5:  cli
    hlt
    jmp 5b

    .section .data
    .balign 8
    .globl boot_entry_tsc
boot_entry_tsc: .quad 0

    /* The boot stack, with an unmapped guard page below it once the kernel's own page tables
       are live (a kernel stack overflow then faults instead of corrupting .bss). */
    .section .bss.page_aligned, "aw", @nobits
    .balign 4096
    .globl boot_stack_guard
boot_stack_guard: .skip 4096
    .globl boot_stack_bottom
boot_stack_bottom: .skip 65536
    .globl boot_stack_top
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
