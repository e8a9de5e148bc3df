#include <arch/x86/interrupt_state.h>
#include <arch/x86/serial.h>
#include <kernel/console/console.h>
#include <kernel/console/console_input.h>
#include <kernel/interrupts/irq.h>
#include <kernel/sched/wait_queue.h>

namespace kernel::console {

namespace {

constexpr nk::usize QUEUE_SIZE = 1024;
char g_queue[QUEUE_SIZE];
nk::usize g_head = 0; // next byte to read
nk::usize g_count = 0;
nk::u64 g_overruns = 0;
WaitQueue g_readers;

bool on_serial_interrupt(void*) {
    bool any = false;
    for (int byte; (byte = x86::serial::try_read_byte()) >= 0;) {
        receive_input(char(byte));
        any = true;
    }
    return any;
}

} // namespace

void receive_input(char byte) {
    x86::InterruptGuard guard;
    if (g_count == QUEUE_SIZE) {
        ++g_overruns; // a full queue drops the newest byte: what was typed first stays intact
        return;
    }
    g_queue[(g_head + g_count) % QUEUE_SIZE] = byte;
    ++g_count;
    g_readers.wake_all();
}

void init_input() {
    (void)irq::register_handler(4, on_serial_interrupt, nullptr);
    x86::serial::enable_receive_interrupt();
    // Bytes that arrived before the interrupt was enabled.
    on_serial_interrupt(nullptr);
}

nk::Result<nk::usize> read_input(char* buffer, nk::usize length, bool (*should_abort)()) {
    if (length == 0)
        return nk::usize(0);
    x86::InterruptGuard guard;
    while (g_count == 0) {
        if (should_abort && should_abort())
            return nk::Error::Aborted;
        g_readers.wait();
    }
    nk::usize taken = 0;
    while (taken < length && g_count > 0) {
        buffer[taken++] = g_queue[g_head];
        g_head = (g_head + 1) % QUEUE_SIZE;
        --g_count;
    }
    return taken;
}

nk::u64 input_overruns() { return g_overruns; }

} // namespace kernel::console
