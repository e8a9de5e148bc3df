// Bringing up the isolation subsystem: hooks into the kernel's fault, panic and interrupt paths.
#pragma once

namespace nooks {

void init();

} // namespace nooks
