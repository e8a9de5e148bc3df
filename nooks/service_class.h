// The kernel side of the service class (nooks/service.h).
#pragma once

#include <nk/types.h>

namespace nooks {

struct Extension;

// Asks a service extension for its status line (through a crossing when isolated, with the
// text in a bounce buffer in its heap). Writes "" and returns false for other classes, a
// service without a status op, or a failed call.
bool service_status(Extension& extension, char* buffer, nk::usize size);

} // namespace nooks
