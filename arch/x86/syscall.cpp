#include <arch/x86/cpu.h>
#include <arch/x86/gdt.h>
#include <arch/x86/syscall.h>

extern "C" void x86_syscall_entry();
extern "C" nk::u64 x86_syscall_kernel_rsp;

namespace x86 {

namespace {
SyscallHandler g_handler = nullptr;
BadReturnHandler g_bad_return = nullptr;

constexpr nk::u64 RFLAGS_TF = 1ull << 8;
constexpr nk::u64 RFLAGS_IF_MASK = 1ull << 9;
constexpr nk::u64 RFLAGS_DF = 1ull << 10;
constexpr nk::u64 RFLAGS_AC = 1ull << 18;
} // namespace

void syscall_init(SyscallHandler handler, BadReturnHandler bad_return) {
    g_handler = handler;
    g_bad_return = bad_return;
    // STAR[47:32]: SYSCALL loads CS = KERNEL_CS, SS = KERNEL_CS + 8. STAR[63:48]: SYSRET loads
    // CS = base + 16 (USER_CS) and SS = base + 8 (USER_DS) with RPL 3 (SDM Vol. 2B, SYSRET).
    nk::u64 sysret_base = KERNEL_DS; // 0x10: +8 = 0x18 user data, +16 = 0x20 user code
    wrmsr(msr::STAR, (sysret_base << 48) | (nk::u64(KERNEL_CS) << 32));
    wrmsr(msr::LSTAR, reinterpret_cast<nk::u64>(x86_syscall_entry));
    // Interrupts stay off until the stub is on the kernel stack; AC off so SMAP protects the
    // kernel from stray user accesses; DF and TF cleared for the C++ code.
    wrmsr(msr::SFMASK, RFLAGS_IF_MASK | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC);
    wrmsr(msr::EFER, rdmsr(msr::EFER) | efer::SCE);
}

void set_syscall_stack(nk::u64 stack_top) { x86_syscall_kernel_rsp = stack_top; }

} // namespace x86

extern "C" void x86_syscall_dispatch(x86::SyscallFrame* frame) { x86::g_handler(*frame); }

extern "C" void x86_syscall_bad_return(x86::SyscallFrame* frame) {
    x86::g_bad_return(*frame);
    x86::halt_forever();
}
