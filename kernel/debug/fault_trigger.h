// Deliberate kernel faults for the boot tests (`fault=KIND` on the command line): they check that
// an unexpected exception produces a complete panic report naming the faulting function.
#pragma once

namespace kernel {

// KIND: page (NULL write), gp (non-canonical access), ud (ud2), div0, stack (overflow into the
// guard page), panic (an explicit panic). Returns false for an unknown kind.
bool trigger_fault(const char* kind);

} // namespace kernel
