// The system call dispatcher: one handler per nk::abi::Syscall, grouped by subject in
// sys_*.cpp files that register themselves here.
#pragma once

#include <arch/x86/syscall.h>
#include <nk/result.h>
#include <nk/syscall_abi.h>

namespace kernel::syscalls {

// The names every sys_*.cpp file uses.
using nk::Error;
using nk::Result;
using Frame = x86::SyscallFrame;
namespace abi = nk::abi;

// A handler gets the six raw argument registers and returns a value or an error; the dispatcher
// turns errors into -errno.
using Handler = Result<nk::i64> (*)(const Frame& frame);

void init();

// The per-subject tables (each sys_*.cpp file fills its own entries).
void register_file_calls(Handler* table);
void register_process_calls(Handler* table);
void register_system_calls(Handler* table);
void register_extension_calls(Handler* table);
void register_net_calls(Handler* table);
void register_socket_calls(Handler* table);

nk::u64 total_calls();

} // namespace kernel::syscalls
