#include <arch/x86/cpu.h>
#include <arch/x86/i8042.h>

namespace x86::i8042 {

namespace {

constexpr nk::u16 DATA_PORT = 0x60;
constexpr nk::u16 STATUS_PORT = 0x64;  // on read
constexpr nk::u16 COMMAND_PORT = 0x64; // on write

// Each status read is an I/O access of roughly a microsecond on real hardware, so this bounds a
// wait to some tens of milliseconds; the controller answers within microseconds.
constexpr unsigned WAIT_SPINS = 50000;
// The output buffer holds one byte, but the keyboard may queue several behind it.
constexpr unsigned FLUSH_LIMIT = 64;

bool wait_input_empty() {
    for (unsigned spin = 0; spin < WAIT_SPINS; ++spin) {
        if (!read_status().input_full())
            return true;
        pause();
    }
    return false;
}

bool wait_output_full() {
    for (unsigned spin = 0; spin < WAIT_SPINS; ++spin) {
        if (read_status().output_full())
            return true;
        pause();
    }
    return false;
}

} // namespace

Status read_status() {
    return Status(inb(STATUS_PORT));
}

nk::u8 read_data() {
    return inb(DATA_PORT);
}

bool is_present() {
    return read_status().raw() != 0xff;
}

bool send_command(nk::u8 command) {
    if (!wait_input_empty())
        return false;
    outb(COMMAND_PORT, command);
    return true;
}

bool send_command(nk::u8 command, nk::u8 parameter) {
    if (!send_command(command) || !wait_input_empty())
        return false;
    outb(DATA_PORT, parameter);
    return true;
}

int read_response() {
    if (!wait_output_full())
        return -1;
    return read_data();
}

unsigned flush_output() {
    unsigned dropped = 0;
    while (dropped < FLUSH_LIMIT && read_status().output_full()) {
        read_data();
        ++dropped;
        io_wait();
    }
    return dropped;
}

} // namespace x86::i8042
