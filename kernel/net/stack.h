// The TCP/IP stack: lwIP (Debian's source package, built into the kernel with the port in
// kernel/net/lwip/), running on its own kernel thread ("tcpip"). Network devices join it as
// interfaces (kernel/net/interface.h); programs and extensions reach it through sockets.
#pragma once

#include <nk/result.h>

namespace kernel::net {

// Starts lwIP's thread and the loopback interface (127.0.0.1). Once, at boot, before any device
// or socket; the second call does nothing.
nk::ErrorOr start_stack();
bool stack_running();

} // namespace kernel::net
