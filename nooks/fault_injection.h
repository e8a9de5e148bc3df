// `ext crash NAME KIND` for any extension, not only the test class: the fault is armed on the
// extension and the next crossing into it — a call of one of its entry points, or a return into
// it from a kernel service — runs the misbehaviour instead, inside the extension's domain, on its
// stack, with the crossing's recovery point in place: exactly where a bug of the extension would
// strike. Natively, the same code runs with nothing around it (and takes the kernel down).
#pragma once

#include <nk/types.h>

namespace nooks {

struct Extension;

// Arms `kind` (enum nooks_crash_kind); the next crossing fires it. With `after` > 0 the first
// `after` crossings of the running extension pass untouched, and `times` > 1 re-arms it after
// each firing to strike again `after` crossings later, `times` firings in all.
void arm_fault(Extension& extension, int kind, nk::u32 after = 0, nk::u32 times = 1);
bool fault_armed(const Extension& extension);

// From the crossing code: the armed kind, disarmed (-1 when none).
int take_armed_fault(Extension& extension);

// The misbehaviour itself, called as if it were the extension's own code (a domain function:
// kind, target). Returns only for kinds the kernel refuses cleanly.
long injected_fault(long kind, long target);

} // namespace nooks
