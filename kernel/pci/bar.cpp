#include <kernel/pci/bar.h>
#include <kernel/pci/config_registers.h>

namespace kernel::pci {

namespace {

nk::u8 bar_offset(unsigned index) {
    return nk::u8(reg::BAR0 + 4 * index);
}

// Writes all ones, reads back, restores. The bits that stay zero are below the decoder's size.
nk::u32 probe_register(ConfigSpace& config, Address address, nk::u8 offset, nk::u32 original) {
    config.write32(address, offset, 0xffffffff);
    nk::u32 sticky = config.read32(address, offset);
    config.write32(address, offset, original);
    return sticky;
}

// The decoded size is the weight of the lowest address bit that can be set. Taking the lowest
// bit (rather than ~mask + 1) also copes with I/O BARs whose upper 16 bits are hardwired to zero
// (§6.2.5.1: devices may implement only 16 bits of an I/O address).
nk::u64 size_from_mask(nk::u64 mask) {
    return mask & (~mask + 1);
}

} // namespace

unsigned bar_count(nk::u8 header_layout) {
    switch (header_layout) {
    case reg::HEADER_GENERAL:
        return 6;
    case reg::HEADER_BRIDGE:
        return 2;
    default:
        return 0;
    }
}

void decode_bars(ConfigSpace& config, Address address, nk::u8 header_layout,
                 Bar (&bars)[MAX_BARS]) {
    for (auto& bar : bars)
        bar = Bar{};
    unsigned count = bar_count(header_layout);
    if (count == 0)
        return;

    nk::u16 command = config.read16(address, reg::COMMAND);
    constexpr nk::u16 decode_bits = reg::COMMAND_IO_SPACE | reg::COMMAND_MEMORY_SPACE;
    if (command & decode_bits)
        config.write16(address, reg::COMMAND, nk::u16(command & ~decode_bits));

    for (unsigned index = 0; index < count; ++index) {
        nk::u8 offset = bar_offset(index);
        nk::u32 original = config.read32(address, offset);
        nk::u32 sticky = probe_register(config, address, offset, original);
        Bar& bar = bars[index];

        if (original & reg::BAR_SPACE_IO) {
            nk::u64 mask = sticky & reg::BAR_IO_ADDRESS_MASK;
            if (mask == 0)
                continue;
            bar.kind = BarKind::Io;
            bar.address = original & reg::BAR_IO_ADDRESS_MASK;
            bar.size = size_from_mask(mask);
            continue;
        }

        bool is_64 = (original & reg::BAR_MEMORY_TYPE_MASK) == reg::BAR_MEMORY_TYPE_64;
        nk::u64 mask = sticky & reg::BAR_MEMORY_ADDRESS_MASK;
        nk::u64 base = original & reg::BAR_MEMORY_ADDRESS_MASK;
        if (is_64) {
            if (index + 1 >= count)
                continue;
            nk::u8 high_offset = bar_offset(index + 1);
            nk::u32 high_original = config.read32(address, high_offset);
            nk::u32 high_sticky = probe_register(config, address, high_offset, high_original);
            mask |= nk::u64(high_sticky) << 32;
            base |= nk::u64(high_original) << 32;
            ++index; // the upper half stays None
        }
        if (mask == 0)
            continue;
        bar.kind = is_64 ? BarKind::Memory64 : BarKind::Memory32;
        bar.prefetchable = original & reg::BAR_MEMORY_PREFETCHABLE;
        bar.address = base;
        bar.size = size_from_mask(mask);
    }

    if (command & decode_bits)
        config.write16(address, reg::COMMAND, command);
}

} // namespace kernel::pci
