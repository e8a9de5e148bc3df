// The `syscall` instruction itself (SDM Vol. 2B, SYSCALL): RAX = number, arguments in RDI, RSI,
// RDX, R10, R8, R9, result in RAX. The instruction overwrites RCX (return RIP) and R11 (RFLAGS).
//
// The argument registers are declared as in/out, i.e. clobbered, although the ABI does not say the
// kernel changes them: assuming less of the kernel costs a few register moves and keeps a kernel
// that returns with scratch values in them from corrupting user code.
#pragma once

#include <nk/syscall_abi.h>
#include <nk/types.h>

namespace sys {

inline long raw_syscall(nk::abi::Syscall number, nk::u64 a = 0, nk::u64 b = 0, nk::u64 c = 0,
                        nk::u64 d = 0, nk::u64 e = 0, nk::u64 f = 0) {
    long result = static_cast<long>(number);
    register nk::u64 r10 asm("r10") = d;
    register nk::u64 r8 asm("r8") = e;
    register nk::u64 r9 asm("r9") = f;
    asm volatile("syscall"
                 : "+a"(result), "+D"(a), "+S"(b), "+d"(c), "+r"(r10), "+r"(r8), "+r"(r9)
                 :
                 : "rcx", "r11", "memory", "cc");
    return result;
}

// A result in [-4095, -1] is -errno; anything else is success.
constexpr bool is_error_result(long result) {
    return result < 0 && result >= -4095;
}

} // namespace sys
