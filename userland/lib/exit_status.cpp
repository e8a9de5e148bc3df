#include <nk/syscall_abi.h>
#include <userland/lib/exit_status.h>

namespace user {

namespace {

// The architecturally defined exception vectors, SDM Vol. 3A, 6.3.1 (table 6-1).
constexpr const char* exception_names[] = {
    "divide error",                  // 0  #DE
    "debug exception",               // 1  #DB
    "non-maskable interrupt",        // 2
    "breakpoint",                    // 3  #BP
    "overflow",                      // 4  #OF
    "bound range exceeded",          // 5  #BR
    "invalid opcode",                // 6  #UD
    "device not available",          // 7  #NM
    "double fault",                  // 8  #DF
    "coprocessor segment overrun",   // 9
    "invalid TSS",                   // 10 #TS
    "segment not present",           // 11 #NP
    "stack-segment fault",           // 12 #SS
    "general protection fault",      // 13 #GP
    "page fault",                    // 14 #PF
    "reserved exception 15",         // 15
    "x87 floating-point error",      // 16 #MF
    "alignment check",               // 17 #AC
    "machine check",                 // 18 #MC
    "SIMD floating-point exception", // 19 #XM
    "virtualization exception",      // 20 #VE
    "control protection exception",  // 21 #CP
};

} // namespace

const char* kill_reason(int status) {
    // 137 is also 128 + vector 9, but that exception (coprocessor segment overrun) cannot occur
    // in long mode.
    if (status == nk::abi::EXIT_STATUS_KILLED)
        return "Kill system call";
    int vector = status - nk::abi::EXIT_STATUS_FAULT_BASE;
    if (vector < 0 || vector >= int(sizeof(exception_names) / sizeof(exception_names[0])))
        return nullptr;
    return exception_names[vector];
}

} // namespace user
