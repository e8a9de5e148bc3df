// Telling apart a normal exit and a kill by the kernel: a process killed for a CPU exception ends
// with status abi::EXIT_STATUS_FAULT_BASE + vector (142 for a page fault).
#pragma once

namespace user {

// The exception's name ("page fault") when `status` is a fault status, otherwise nullptr.
const char* fault_name(int status);

} // namespace user
