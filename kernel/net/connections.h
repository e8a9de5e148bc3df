// The stack's sockets as `netstat` lists them: every TCP connection and listener with its
// state and queues, and every UDP socket, read from lwIP's own tables.
#pragma once

#include <nk/types.h>

namespace kernel::net {

nk::usize format_connections(char* buffer, nk::usize size);

} // namespace kernel::net
