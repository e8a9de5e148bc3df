// Per-extension resource limits (quotas). An isolated extension that leaks — DMA buffers in a
// loop, periodic timers, threads — reaches its limit and gets an error back (-NK_EDQUOT, or no
// memory) while the kernel's own allocations keep working: extension memory is also refused
// once free memory would fall below a reserve the kernel keeps for itself. Native extensions are
// the unprotected baseline and have no limits. `ext stats` shows use, limit and refusals.
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace nooks {

struct Extension;

enum class Resource : nk::u8 { HeapPages, DmaPages, Timers, Threads, Irqs, Devices, Count };
const char* resource_name(Resource resource);

struct ResourceLimits {
    nk::u64 limit[unsigned(Resource::Count)];
};

// The defaults: a share of memory for heap and DMA pages (an eighth and a sixteenth of RAM), and
// 16 timers, 8 threads, 4 IRQ handlers, 8 registered devices.
ResourceLimits default_resource_limits();

// How much of `resource` the extension holds now.
nk::u64 resource_in_use(const Extension& extension, Resource resource);

// Before an isolated extension takes `amount` more of `resource`: Error::Quota past its limit,
// Error::NoMemory when it would eat into the kernel's reserve of free frames (memory only).
// A refusal is counted, and logged the first time for each resource.
nk::ErrorOr charge_resource(Extension& extension, Resource resource, nk::u64 amount);

// Counts a refusal (Error::Quota or Error::NoMemory) made elsewhere (the heap's page source),
// logging the first of each resource.
void note_refusal(Extension& extension, Resource resource, nk::Error refusal);

// Frames the kernel keeps for itself: max(4 MiB, a sixteenth of RAM).
nk::u64 reserved_frames();

} // namespace nooks
