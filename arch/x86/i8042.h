// The 8042 PS/2 controller: a data port, a status register and a command register (IBM PC AT
// Technical Reference, "Keyboard Controller"; the register bits as in the Intel 8042/8242
// datasheets). Every wait for the controller is bounded, so a missing or wedged controller costs
// a few milliseconds, never a hang.
#pragma once

#include <nk/types.h>

namespace x86::i8042 {

// Status register (read from port 0x64).
class Status {
public:
    explicit Status(nk::u8 raw) : m_raw(raw) {}

    // OBF: a byte waits in the output buffer (port 0x60).
    bool output_full() const { return m_raw & (1u << 0); }
    // IBF: the controller has not yet taken the last byte written; do not write another.
    bool input_full() const { return m_raw & (1u << 1); }
    bool system_flag() const { return m_raw & (1u << 2); }
    // The output byte came from the second (auxiliary, mouse) port.
    bool auxiliary_data() const { return m_raw & (1u << 5); }
    bool timeout_error() const { return m_raw & (1u << 6); }
    bool parity_error() const { return m_raw & (1u << 7); }
    nk::u8 raw() const { return m_raw; }

private:
    nk::u8 m_raw;
};

// Controller commands (written to port 0x64).
namespace command {
constexpr nk::u8 READ_CONFIGURATION = 0x20;
constexpr nk::u8 WRITE_CONFIGURATION = 0x60;
constexpr nk::u8 DISABLE_FIRST_PORT = 0xad;
constexpr nk::u8 ENABLE_FIRST_PORT = 0xae;
} // namespace command

// Controller configuration byte ("command byte"), read and written with the commands above.
namespace configuration {
constexpr nk::u8 FIRST_PORT_INTERRUPT = 1u << 0;  // IRQ 1 on a byte from the keyboard
constexpr nk::u8 SECOND_PORT_INTERRUPT = 1u << 1; // IRQ 12 on a byte from the mouse
constexpr nk::u8 SYSTEM_FLAG = 1u << 2;
constexpr nk::u8 FIRST_PORT_CLOCK_DISABLE = 1u << 4;
constexpr nk::u8 SECOND_PORT_CLOCK_DISABLE = 1u << 5;
constexpr nk::u8 FIRST_PORT_TRANSLATION = 1u << 6; // keyboard's set 2 codes reach us as set 1
} // namespace configuration

Status read_status();
// Reads port 0x60 whether or not a byte waits.
nk::u8 read_data();
// False when nothing answers at 0x64 (the status register floats to 0xff).
bool is_present();
// Writes to the command register once the input buffer is free; false on timeout.
bool send_command(nk::u8 command);
// A command followed by its parameter byte on the data port.
bool send_command(nk::u8 command, nk::u8 parameter);
// Waits for a byte in the output buffer and reads it; -1 on timeout.
int read_response();
// Discards whatever waits in the output buffer; returns how many bytes were dropped.
unsigned flush_output();

} // namespace x86::i8042
