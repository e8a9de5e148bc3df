#include <arch/x86/gdt.h>
#include <kernel/process/processes.h>
#include <kernel/sched/scheduler.h>
#include <kernel/syscall/syscall_table.h>

#include <stdio.h>

namespace kernel::syscalls {

namespace {

Handler g_table[nk::u64(nk::abi::Syscall::Count)];
nk::u64 g_total_calls = 0;

void dispatch(x86::SyscallFrame& frame) {
    ++g_total_calls;
    if (Process* process = processes::current())
        ++process->syscalls;
    nk::u64 number = frame.number();
    nk::Result<nk::i64> result = nk::Error::NotImplemented;
    if (number < nk::u64(nk::abi::Syscall::Count) && g_table[number])
        result = g_table[number](frame);
    frame.rax = result.is_error() ? nk::u64(-nk::i64(result.error())) : nk::u64(result.value());
    // A kill that arrived while the call ran takes effect before user code runs again.
    processes::check_pending_kill();
}

void bad_return(x86::SyscallFrame& frame) {
    kprintf("process: syscall returned to a non-canonical address 0x%llx; killing it\n",
            (unsigned long long)frame.rip);
    processes::exit_current(nk::abi::EXIT_STATUS_FAULT_BASE + 13);
}

// Ring-0 entry stacks follow the running thread: interrupts from ring 3 use TSS.RSP0, system
// calls the syscall stack.
void set_entry_stack(nk::u64 rsp0, nk::u64 syscall_stack) {
    x86::tss_set_kernel_stack(rsp0);
    x86::set_syscall_stack(syscall_stack);
}

} // namespace

void init() {
    register_file_calls(g_table);
    register_process_calls(g_table);
    register_system_calls(g_table);
    register_extension_calls(g_table);
    register_net_calls(g_table);
    register_socket_calls(g_table);
    sched::set_kernel_entry_stack_hook(set_entry_stack);
    x86::syscall_init(dispatch, bad_return);
}

nk::u64 total_calls() {
    return g_total_calls;
}

} // namespace kernel::syscalls
