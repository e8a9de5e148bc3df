// The extension API as seen by isolated extensions: each import bound to a generated wrapper.
#pragma once

#include <nk/result.h>
#include <nk/span.h>
#include <nk/types.h>
#include <nooks/kernel_exports.h>

namespace nooks {

// Address of the wrapper for an imported name; Error::NoEntry for names the API lacks.
nk::Result<nk::u64> find_isolated_export(const char* name);
// The whole table (the same names as the native one: one binary loads in either mode).
nk::Span<const KernelExport> isolated_exports();

// An interrupt storm on `line` (kernel/interrupts/irq.h), in thread context: every isolated
// extension with a handler on the line is failed and recovered (its recovery disables the
// device's interrupts until the new copy enables them). Returns how many were charged.
unsigned charge_interrupt_storm(unsigned line);

} // namespace nooks
