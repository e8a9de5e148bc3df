#include <arch/x86/interrupt_state.h>
#include <arch/x86/serial.h>
#include <arch/x86/vga_text.h>
#include <kernel/console/console.h>
#include <kernel/memory/layout.h>

#include <stdarg.h>
#include <stdio.h>

namespace kernel::console {

namespace {

constexpr nk::usize LOG_SIZE = 64 * 1024;
char g_log[LOG_SIZE];
nk::u64 g_log_written = 0; // total bytes ever written; position = written % LOG_SIZE

bool g_vga = true;

void write_screens(const char* data, nk::usize length) {
    x86::serial::write(data, length);
    if (g_vga)
        x86::vga_text::write(data, length);
}

void write_log(const char* data, nk::usize length) {
    for (nk::usize i = 0; i < length; ++i)
        g_log[(g_log_written + i) % LOG_SIZE] = data[i];
    g_log_written += length;
}

// Kernel messages go to the screens and into the log ring (`dmesg`).
void write_devices(const char* data, nk::usize length) {
    write_screens(data, length);
    write_log(data, length);
}

} // namespace

void init_serial() {
    x86::serial::init();
}

void stop_vga() {
    g_vga = false;
}

void init_vga() {
    x86::vga_text::init(phys_to_virt<volatile nk::u16>(0xb8000));
}

// Formats into `buffer`; the length written (truncated to the buffer), 0 on a format error.
static nk::usize format_line(char* buffer, nk::usize capacity, const char* format, va_list args) {
    int length = vsnprintf(buffer, capacity, format, args);
    if (length < 0)
        return 0;
    return nk::usize(length) < capacity ? nk::usize(length) : capacity - 1;
}

void emergency_printf(const char* format, ...) {
    char buffer[512];
    va_list args;
    va_start(args, format);
    nk::usize size = format_line(buffer, sizeof buffer, format, args);
    va_end(args);
    write_devices(buffer, size);
}

void log_detail(const char* format, ...) {
    char buffer[256];
    va_list args;
    va_start(args, format);
    nk::usize size = format_line(buffer, sizeof buffer, format, args);
    va_end(args);
    x86::InterruptGuard guard;
    x86::serial::write(buffer, size);
    write_log(buffer, size);
}

nk::usize read_log(char* buffer, nk::usize size) {
    x86::InterruptGuard guard;
    nk::u64 available = g_log_written < LOG_SIZE ? g_log_written : LOG_SIZE;
    nk::u64 count = available < size ? available : size;
    nk::u64 start = g_log_written - count;
    for (nk::u64 i = 0; i < count; ++i)
        buffer[i] = g_log[(start + i) % LOG_SIZE];
    return count;
}

void write_user_output(const char* data, nk::usize length) {
    x86::InterruptGuard guard;
    write_screens(data, length);
}

} // namespace kernel::console

// The libc's kprintf writes here.
extern "C" void nk_console_write(const char* data, size_t length) {
    x86::InterruptGuard guard;
    kernel::console::write_devices(data, length);
}
