#include "e1000_controller.h"

#include <nooks/support.h>

namespace e1000 {

namespace {

// Before a reset the device is given time to finish DMA in progress (a frame is 12 us at
// 1 Gb/s; the 10 ms are generous and cost nothing at load).
constexpr uint64_t QUIESCE_MS = 10;
// CTRL.RST clears itself; the manual asks software to wait at least 1 us before looking (13.4.1).
// The device then reloads its defaults from the EEPROM; the 82540EM has no bit saying when that is
// done (EECD.AUTO_RD exists only on the 82541xx and 82547), so it is given a few milliseconds.
constexpr uint64_t RESET_TIMEOUT_MS = 100;
constexpr uint64_t EEPROM_LOAD_MS = 5;
// An EERD read takes microseconds on the real part and nothing under QEMU.
constexpr unsigned EERD_FAST_POLLS = 1000;
constexpr uint64_t EERD_TIMEOUT_MS = 10;

// Polls until (read(offset) & bits) == want: a burst of quick reads, then 1 ms sleeps up to
// `timeout_ms`. Thread context only (init and exit).
bool wait_for(const RegisterWindow& registers, uint32_t offset, uint32_t bits, uint32_t want,
              unsigned fast_polls, uint64_t timeout_ms, uint32_t* last) {
    for (unsigned i = 0; i < fast_polls; ++i) {
        *last = registers.read(offset);
        if ((*last & bits) == want)
            return true;
    }
    for (uint64_t waited = 0; waited < timeout_ms; ++waited) {
        nk_sleep_ms(1);
        *last = registers.read(offset);
        if ((*last & bits) == want)
            return true;
    }
    return false;
}

// A station address must be unicast (bit 0 of the first byte clear) and not all zeros; anything
// else read from the device or its EEPROM is not used.
bool usable_mac(const uint8_t mac[MAC_LENGTH]) {
    if (mac[0] & 1)
        return false;
    for (uint32_t i = 0; i < MAC_LENGTH; ++i) {
        if (mac[i])
            return true;
    }
    return false;
}

// EEPROM word `word` through EERD (13.4.4): write the address with START, poll DONE.
nk_status read_eeprom_word(RegisterWindow& registers, uint32_t word, uint16_t* out) {
    registers.write(reg::EERD, eerd_address(word) | mask(Eerd::START));
    uint32_t value = 0;
    uint32_t done = mask(Eerd::DONE);
    if (!wait_for(registers, reg::EERD, done, done, EERD_FAST_POLLS, EERD_TIMEOUT_MS, &value))
        return -NK_ETIMEDOUT;
    *out = eerd_data(value);
    return 0;
}

uint64_t read_pair(const RegisterWindow& registers, uint32_t low, uint32_t high) {
    uint64_t value = registers.read(low); // low first: reading the high half clears both
    return value | uint64_t(registers.read(high)) << 32;
}

} // namespace

nk_status reset(RegisterWindow& registers) {
    registers.write(reg::IMC, ALL_INTERRUPTS);
    registers.write(reg::RCTL, 0);
    registers.write(reg::TCTL, mask(Tctl::PSP));
    registers.flush();
    nk_sleep_ms(QUIESCE_MS);

    registers.set(reg::CTRL, mask(Ctrl::RST));
    nk_sleep_ms(1);
    uint32_t ctrl = 0;
    if (!wait_for(registers, reg::CTRL, mask(Ctrl::RST), 0, 1, RESET_TIMEOUT_MS, &ctrl)) {
        nk_log("reset: CTRL.RST still set after %lu ms (CTRL %08x)\n",
               static_cast<unsigned long>(RESET_TIMEOUT_MS), ctrl);
        return -NK_ETIMEDOUT;
    }
    nk_sleep_ms(EEPROM_LOAD_MS);
    // The reset leaves interrupts masked; mask them again anyway and read away any cause, so
    // nothing is pending when a handler is installed.
    registers.write(reg::IMC, ALL_INTERRUPTS);
    (void)registers.read(reg::ICR);
    return 0;
}

nk_status read_mac_from_eeprom(RegisterWindow& registers, uint8_t mac[MAC_LENGTH]) {
    // Words 0-2 hold the address, the first byte in the low half of word 0 (SDM 5.6.1).
    for (uint32_t word = 0; word < 3; ++word) {
        uint16_t value = 0;
        nk_status status = read_eeprom_word(registers, EEPROM_ETHERNET_ADDRESS + word, &value);
        if (status < 0)
            return status;
        mac[2 * word] = uint8_t(value);
        mac[2 * word + 1] = uint8_t(value >> 8);
    }
    return usable_mac(mac) ? 0 : -NK_EIO;
}

nk_status read_mac_from_receive_address(RegisterWindow& registers, uint8_t mac[MAC_LENGTH]) {
    uint32_t low = registers.read(reg::RAL(0));
    uint32_t high = registers.read(reg::RAH(0));
    if (!has(high, Rah::AV))
        return -NK_EIO;
    for (uint32_t i = 0; i < 4; ++i)
        mac[i] = uint8_t(low >> (8 * i));
    mac[4] = uint8_t(high);
    mac[5] = uint8_t(high >> 8);
    return usable_mac(mac) ? 0 : -NK_EIO;
}

void configure_link_and_filters(RegisterWindow& registers, const uint8_t mac[MAC_LENGTH]) {
    // 14.3 for the internal PHY: link up by auto-negotiation, speed from the PHY (ASDE), neither
    // forced; ILOS must be 0; no VLAN mode, no flow control.
    uint32_t ctrl = registers.read(reg::CTRL);
    ctrl |= mask(Ctrl::SLU, Ctrl::ASDE);
    ctrl &= ~mask(Ctrl::FRCSPD, Ctrl::FRCDPLX, Ctrl::ILOS, Ctrl::LRST, Ctrl::PHY_RST, Ctrl::VME,
                  Ctrl::RFCE, Ctrl::TFCE);
    registers.write(reg::CTRL, ctrl);
    registers.write(reg::FCAL, 0);
    registers.write(reg::FCAH, 0);
    registers.write(reg::FCT, 0);
    registers.write(reg::FCTTV, 0);

    // RAL0/RAH0 hold the station address (13.5.2: also used for PAUSE frames); written low then
    // high, the other entries cleared high then low (13.5.3).
    registers.write(reg::RAL(0), uint32_t(mac[0]) | uint32_t(mac[1]) << 8 | uint32_t(mac[2]) << 16 |
                                     uint32_t(mac[3]) << 24);
    registers.write(reg::RAH(0), uint32_t(mac[4]) | uint32_t(mac[5]) << 8 | mask(Rah::AV));
    for (uint32_t n = 1; n < reg::RA_ENTRIES; ++n) {
        registers.write(reg::RAH(n), 0);
        registers.write(reg::RAL(n), 0);
    }
    // No multicast groups yet: the whole hash table clear (14.4).
    for (uint32_t n = 0; n < reg::MTA_ENTRIES; ++n)
        registers.write(reg::MTA(n), 0);
}

void configure_receive(RegisterWindow& registers, const ReceiveRing& ring) {
    // RDH may be written only while the receiver is off (13.4.28).
    registers.write(reg::RCTL, 0);
    registers.write(reg::RDBAL, uint32_t(ring.descriptors_bus()));
    registers.write(reg::RDBAH, uint32_t(ring.descriptors_bus() >> 32));
    registers.write(reg::RDLEN, ring.descriptors_bytes());
    registers.write(reg::RDH, 0);
    registers.write(reg::RDT, ring.initial_tail());
    // The delay timers stay off: the manual recommends ITR for moderation (13.4.30, 13.4.31).
    registers.write(reg::RDTR, 0);
    registers.write(reg::RADV, 0);
    // No promiscuous modes, no long packets, no loopback, the hash from bits 47:36 (MO 00),
    // RXDMT0 at half the ring free, 2 KiB buffers, the CRC stripped (the kernel wants frames
    // without it), broadcasts accepted (ARP needs them).
    registers.write(reg::RCTL,
                    mask(Rctl::EN, Rctl::BAM, Rctl::SECRC) | RCTL_BSIZE_2048 | RCTL_RDMTS_HALF);
}

void set_collision_distance(RegisterWindow& registers) {
    bool full_duplex = has(registers.read(reg::STATUS), Status::FD);
    uint32_t tctl = registers.read(reg::TCTL) & ~tctl_cold(0x3ff);
    tctl |= tctl_cold(full_duplex ? TCTL_COLD_FULL_DUPLEX : TCTL_COLD_HALF_DUPLEX);
    registers.write(reg::TCTL, tctl);
}

void configure_transmit(RegisterWindow& registers, const TransmitRing& ring) {
    registers.write(reg::TCTL, 0);
    registers.write(reg::TDBAL, uint32_t(ring.descriptors_bus()));
    registers.write(reg::TDBAH, uint32_t(ring.descriptors_bus() >> 32));
    registers.write(reg::TDLEN, ring.descriptors_bytes());
    registers.write(reg::TDH, 0);
    registers.write(reg::TDT, 0);
    registers.write(reg::TIPG, TIPG_COPPER);
    registers.write(reg::TCTL, mask(Tctl::EN, Tctl::PSP) | tctl_ct(TCTL_CT_RECOMMENDED));
    set_collision_distance(registers);
}

void set_interrupt_rate(RegisterWindow& registers, uint32_t interrupts_per_second) {
    registers.write(reg::ITR, itr_interval_for_rate(interrupts_per_second));
}

LinkState link_state(const RegisterWindow& registers) {
    uint32_t status = registers.read(reg::STATUS);
    return {has(status, Status::LU), has(status, Status::FD), status_speed_mbps(status)};
}

void harvest_statistics(RegisterWindow& registers, DeviceStatistics& totals) {
    totals.good_packets_received += registers.read(stat::GPRC);
    totals.good_packets_transmitted += registers.read(stat::GPTC);
    totals.good_octets_received += read_pair(registers, stat::GORCL, stat::GORCH);
    totals.good_octets_transmitted += read_pair(registers, stat::GOTCL, stat::GOTCH);
    totals.total_packets_received += registers.read(stat::TPR);
    totals.total_packets_transmitted += registers.read(stat::TPT);
    totals.missed_packets += registers.read(stat::MPC);
    totals.no_buffers += registers.read(stat::RNBC);
    totals.crc_errors += registers.read(stat::CRCERRS);
    totals.alignment_errors += registers.read(stat::ALGNERRC);
    totals.symbol_errors += registers.read(stat::SYMERRS);
    totals.receive_errors += registers.read(stat::RXERRC);
    totals.length_errors += registers.read(stat::RLEC);
    totals.undersize += registers.read(stat::RUC);
    totals.oversize += registers.read(stat::ROC);
    totals.collisions += registers.read(stat::COLC);
}

void clear_statistics(RegisterWindow& registers) {
    DeviceStatistics discarded = {};
    harvest_statistics(registers, discarded);
}

void format_mac(const uint8_t mac[MAC_LENGTH], char* out, size_t size) {
    nk_snprintf(out, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                mac[5]);
}

} // namespace e1000
