// Bring-up and control of one 8254x controller through its register window, in the order of the
// manual's chapter 14: global reset (14.3 and 13.4.1), the Ethernet address (EERD, 13.4.4),
// link and receive filters (14.3, 14.4), the receive and transmit units (14.4, 14.5),
// interrupt moderation (13.4.18), and the clear-on-read statistics (13.7). Every wait on the
// device is bounded and ends in -NK_ETIMEDOUT. Nothing here enables interrupts: the caller does
// that last, once its handler is installed.
#pragma once

#include "e1000_register_window.h"
#include "e1000_ring.h"

namespace e1000 {

constexpr uint32_t MAC_LENGTH = 6;

// Masks every interrupt, stops receive and transmit, lets DMA in progress finish, then resets
// the whole device (CTRL.RST) and waits, bounded, for the bit to clear; every interrupt is
// masked again afterwards and any pending cause read away. 0 or -NK_ETIMEDOUT.
nk_status reset(RegisterWindow& registers);

// The Ethernet address from EEPROM words 0-2 through EERD (13.4.4); -NK_ETIMEDOUT when a read
// does not complete, -NK_EIO when the address read is not a usable unicast address.
nk_status read_mac_from_eeprom(RegisterWindow& registers, uint8_t mac[MAC_LENGTH]);
// The address the device loaded from its EEPROM into RAL0/RAH0 at reset; -NK_EIO when RAH0 is
// not marked valid or the address is not a usable unicast address.
nk_status read_mac_from_receive_address(RegisterWindow& registers, uint8_t mac[MAC_LENGTH]);

// Link (CTRL.SLU, ASDE: the internal PHY negotiates speed and duplex), no flow control, the
// station address in RAL0/RAH0 and every other filter entry and multicast hash cleared.
void configure_link_and_filters(RegisterWindow& registers, const uint8_t mac[MAC_LENGTH]);

// Receive unit (14.4): ring base, length, head 0, tail `initial_tail`; no delay timers (ITR
// moderates); RCTL with the receiver on, broadcasts accepted, 2 KiB buffers, CRC stripped.
void configure_receive(RegisterWindow& registers, const ReceiveRing& ring);
// Transmit unit (14.5): ring base, length, head and tail 0; TCTL with the transmitter on,
// short frames padded, the collision settings for the duplex in STATUS; TIPG for copper.
void configure_transmit(RegisterWindow& registers, const TransmitRing& ring);
// COLD follows the link's duplex (13.4.33): called again when the link comes up.
void set_collision_distance(RegisterWindow& registers);

// ITR (13.4.18): at most `interrupts_per_second` (0: no throttling).
void set_interrupt_rate(RegisterWindow& registers, uint32_t interrupts_per_second);

struct LinkState {
    bool up;
    bool full_duplex;
    uint32_t mbps;
};
LinkState link_state(const RegisterWindow& registers);

// Running totals of the device's own statistics registers (13.7), which clear when read.
struct DeviceStatistics {
    uint64_t good_packets_received;     // GPRC
    uint64_t good_packets_transmitted;  // GPTC
    uint64_t good_octets_received;      // GORC
    uint64_t good_octets_transmitted;   // GOTC
    uint64_t total_packets_received;    // TPR
    uint64_t total_packets_transmitted; // TPT
    uint64_t missed_packets;            // MPC
    uint64_t no_buffers;                // RNBC
    uint64_t crc_errors;                // CRCERRS
    uint64_t alignment_errors;          // ALGNERRC
    uint64_t symbol_errors;             // SYMERRS
    uint64_t receive_errors;            // RXERRC
    uint64_t length_errors;             // RLEC
    uint64_t undersize;                 // RUC
    uint64_t oversize;                  // ROC
    uint64_t collisions;                // COLC
};
// Reads (and so clears) the registers into the totals.
void harvest_statistics(RegisterWindow& registers, DeviceStatistics& totals);
// Reads the statistics registers once and forgets the counts, so the totals count from now (14.8
// leaves their initialisation to the hardware; a restarted driver starts its totals again).
void clear_statistics(RegisterWindow& registers);

// "52:54:00:12:34:56" into `out` (at least 18 bytes).
void format_mac(const uint8_t mac[MAC_LENGTH], char* out, size_t size);

} // namespace e1000
