#include <kernel/pci/class_names.h>
#include <kernel/pci/listing.h>

#include <stdarg.h>
#include <stdio.h>

namespace kernel::pci {

namespace {

// Appends to a fixed buffer, remembering the full length even when the text does not fit.
class LineWriter {
public:
    LineWriter(char* buffer, nk::usize size) : m_buffer(buffer), m_size(size) {
        if (m_size > 0)
            m_buffer[0] = '\0';
    }

    __attribute__((format(printf, 2, 3))) void append(const char* format, ...) {
        char* at = m_length < m_size ? m_buffer + m_length : nullptr;
        nk::usize room = m_length < m_size ? m_size - m_length : 0;
        va_list args;
        va_start(args, format);
        int written = vsnprintf(at, room, format, args);
        va_end(args);
        if (written > 0)
            m_length += nk::usize(written);
    }

    nk::usize length() const { return m_length; }

private:
    char* m_buffer;
    nk::usize m_size;
    nk::usize m_length = 0;
};

const char* bar_kind_name(BarKind kind) {
    switch (kind) {
    case BarKind::Io:
        return "io";
    case BarKind::Memory32:
        return "mem";
    case BarKind::Memory64:
        return "mem64";
    case BarKind::None:
        break;
    }
    return "none";
}

void append_size(LineWriter& line, nk::u64 size) {
    if (size >= nk::GiB && size % nk::GiB == 0)
        line.append(" %lluG", (unsigned long long)(size / nk::GiB));
    else if (size >= nk::MiB && size % nk::MiB == 0)
        line.append(" %lluM", (unsigned long long)(size / nk::MiB));
    else if (size >= nk::KiB && size % nk::KiB == 0)
        line.append(" %lluK", (unsigned long long)(size / nk::KiB));
    else
        line.append(" %llu", (unsigned long long)size);
}

} // namespace

nk::usize format_device_line(const PciDevice& device, char* buffer, nk::usize size) {
    LineWriter line(buffer, size);
    Address address = device.address();
    line.append("%02x:%02x.%u %04x:%04x %s (rev %02x)", address.bus, address.device,
                unsigned(address.function), device.vendor_id(), device.device_id(),
                class_name(device.class_code(), device.subclass()), device.revision());
    if (device.uses_interrupt())
        line.append(" irq %u", unsigned(device.interrupt_line()));
    for (unsigned index = 0; index < MAX_BARS; ++index) {
        const Bar& bar = device.bar(index);
        if (!bar.is_present())
            continue;
        line.append(" bar%u %s 0x%llx", index, bar_kind_name(bar.kind),
                    (unsigned long long)bar.address);
        append_size(line, bar.size);
        if (bar.prefetchable)
            line.append(" pref");
    }
    return line.length();
}

} // namespace kernel::pci
