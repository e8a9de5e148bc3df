#include <kernel/net/stack.h>
#include <kernel/sync/semaphore.h>

#include <stdio.h>

extern "C" {
#include "lwip/init.h"
#include "lwip/tcpip.h"
}

namespace kernel::net {

namespace {

bool g_running = false;

void started(void* done) {
    static_cast<Semaphore*>(done)->up();
}

} // namespace

nk::ErrorOr start_stack() {
    if (g_running)
        return {};
    Semaphore done;
    tcpip_init(started, &done);
    // lwIP's own start: nothing here can fail short of a kernel without memory for a thread
    // (which panics); a stack that never answers is a broken invariant, so wait bounded.
    if (!done.down_for(5000))
        return nk::Error::TimedOut;
    g_running = true;
    kprintf("net: lwIP %s running (tcpip thread, loopback 127.0.0.1)\n", LWIP_VERSION_STRING);
    return {};
}

bool stack_running() {
    return g_running;
}

} // namespace kernel::net
