// The one way the driver touches the controller's registers: a window on the BAR0 mapping with
// read, write, set and clear. Every offset is checked (inside the 128 KiB window, 32-bit
// aligned): a bad one is a bug in the driver, which fails the extension rather than touching
// some other register or memory. With tracing on, every write is logged.
#pragma once

#include "e1000_registers.h"

#include <nooks/kernel_api.h>

namespace e1000 {

class RegisterWindow {
public:
    void attach(volatile void* base, uint32_t bytes) {
        m_base = static_cast<volatile uint32_t*>(base);
        m_bytes = bytes;
    }
    void detach() {
        m_base = nullptr;
        m_bytes = 0;
    }
    bool attached() const { return m_base != nullptr; }
    void set_tracing(bool on) { m_tracing = on; }

    uint32_t read(uint32_t offset) const { return m_base[index(offset)]; }
    void write(uint32_t offset, uint32_t value) {
        if (m_tracing)
            nk_log("write %05x <- %08x\n", offset, value);
        m_base[index(offset)] = value;
    }
    void set(uint32_t offset, uint32_t bits) { write(offset, read(offset) | bits); }
    void clear(uint32_t offset, uint32_t bits) { write(offset, read(offset) & ~bits); }
    // Writes are posted: a read of STATUS makes sure they have reached the device.
    void flush() const { (void)read(reg::STATUS); }

private:
    uint32_t index(uint32_t offset) const {
        if (!m_base || offset % 4 != 0 || offset >= m_bytes)
            nk_bug("e1000: register offset outside the BAR0 window");
        return offset / 4;
    }

    volatile uint32_t* m_base = nullptr;
    uint32_t m_bytes = 0;
    bool m_tracing = false;
};

} // namespace e1000
