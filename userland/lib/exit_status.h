// Telling apart a normal exit and a kill by the kernel: a process killed for a CPU exception ends
// with status abi::EXIT_STATUS_FAULT_BASE + vector (142 for a page fault), one ended by the Kill
// system call with abi::EXIT_STATUS_KILLED (137).
#pragma once

namespace user {

// Why the kernel ended the process, for "PROGRAM killed (REASON)": the exception's name ("page
// fault") or "Kill system call"; nullptr when `status` is an ordinary exit status.
const char* kill_reason(int status);

} // namespace user
