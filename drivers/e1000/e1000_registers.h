// The registers and descriptors of the Intel 8254x gigabit controllers (QEMU's default NIC is the
// 82540EM), in the words of the "PCI/PCI-X Family of Gigabit Ethernet Controllers Software
// Developer's Manual" (8254x SDM, revision 4.0): chapter 13 for the registers (offsets from
// BAR0, all 32 bits wide), chapter 3 for the descriptors, chapter 14 for the order in which a
// driver sets them up. Single-bit flags are scoped enums combined with mask(); multi-bit
// fields are functions that place a value.
#pragma once

#include <stdint.h>

namespace e1000 {

// The memory BAR (BAR0) decodes 128 KiB of registers (SDM chapter 4, PCI configuration).
constexpr uint32_t REGISTER_WINDOW_BYTES = 128 * 1024;

// Register offsets (SDM 13.3, the register summary, and 13.4 - 13.5).
namespace reg {
// General (13.4.1 - 13.4.4).
constexpr uint32_t CTRL = 0x00000;   // Device Control
constexpr uint32_t STATUS = 0x00008; // Device Status (read only)
constexpr uint32_t EECD = 0x00010;   // EEPROM/Flash Control/Data
constexpr uint32_t EERD = 0x00014;   // EEPROM Read
// Flow control (13.4.8 - 13.4.10, 13.4.12): zero, flow control is not used here.
constexpr uint32_t FCAL = 0x00028;
constexpr uint32_t FCAH = 0x0002c;
constexpr uint32_t FCT = 0x00030;
constexpr uint32_t FCTTV = 0x00170;
// Interrupts (13.4.17 - 13.4.21).
constexpr uint32_t ICR = 0x000c0; // Interrupt Cause Read: reading clears it
constexpr uint32_t ITR = 0x000c4; // Interrupt Throttling
constexpr uint32_t ICS = 0x000c8; // Interrupt Cause Set
constexpr uint32_t IMS = 0x000d0; // Interrupt Mask Set/Read
constexpr uint32_t IMC = 0x000d8; // Interrupt Mask Clear
// Receive (13.4.22, 13.4.25 - 13.4.31).
constexpr uint32_t RCTL = 0x00100;
constexpr uint32_t RDBAL = 0x02800;
constexpr uint32_t RDBAH = 0x02804;
constexpr uint32_t RDLEN = 0x02808;
constexpr uint32_t RDH = 0x02810;
constexpr uint32_t RDT = 0x02818;
constexpr uint32_t RDTR = 0x02820; // Receive Delay Timer: 0, ITR moderates instead (13.4.30)
constexpr uint32_t RADV = 0x0282c; // Receive Interrupt Absolute Delay Timer
// Transmit (13.4.33, 13.4.34, 13.4.36 - 13.4.40).
constexpr uint32_t TCTL = 0x00400;
constexpr uint32_t TIPG = 0x00410;
constexpr uint32_t TDBAL = 0x03800;
constexpr uint32_t TDBAH = 0x03804;
constexpr uint32_t TDLEN = 0x03808;
constexpr uint32_t TDH = 0x03810;
constexpr uint32_t TDT = 0x03818;
// Receive filters (13.5.1 - 13.5.3): 128 multicast hash words, 16 exact address pairs.
constexpr uint32_t MTA_ENTRIES = 128;
constexpr uint32_t RA_ENTRIES = 16;
constexpr uint32_t MTA(uint32_t n) {
    return 0x05200 + 4 * n;
}
constexpr uint32_t RAL(uint32_t n) {
    return 0x05400 + 8 * n;
}
constexpr uint32_t RAH(uint32_t n) {
    return 0x05404 + 8 * n;
}
} // namespace reg

// Statistics (SDM 13.7): counters that clear when read. A 64-bit count is a low/high pair; the
// high read clears both, so the low half is read first.
namespace stat {
constexpr uint32_t CRCERRS = 0x04000;  // CRC Error Count
constexpr uint32_t ALGNERRC = 0x04004; // Alignment Error Count
constexpr uint32_t SYMERRS = 0x04008;  // Symbol Error Count
constexpr uint32_t RXERRC = 0x0400c;   // RX Error Count
constexpr uint32_t MPC = 0x04010;      // Missed Packets Count (no room in the FIFO or ring)
constexpr uint32_t COLC = 0x04028;     // Collision Count
constexpr uint32_t RLEC = 0x04040;     // Receive Length Error Count
constexpr uint32_t GPRC = 0x04074;     // Good Packets Received Count
constexpr uint32_t GPTC = 0x04080;     // Good Packets Transmitted Count
constexpr uint32_t GORCL = 0x04088;    // Good Octets Received Count, low / high
constexpr uint32_t GORCH = 0x0408c;
constexpr uint32_t GOTCL = 0x04090; // Good Octets Transmitted Count, low / high
constexpr uint32_t GOTCH = 0x04094;
constexpr uint32_t RNBC = 0x040a0; // Receive No Buffers Count
constexpr uint32_t RUC = 0x040a4;  // Receive Undersize Count
constexpr uint32_t ROC = 0x040ac;  // Receive Oversize Count
constexpr uint32_t TPR = 0x040d0;  // Total Packets Received
constexpr uint32_t TPT = 0x040d4;  // Total Packets Transmitted
} // namespace stat

// Combines flags of one scoped enum into the register value they stand for.
template <typename Flag, typename... More>
constexpr uint32_t mask(Flag first, More... more) {
    return (static_cast<uint32_t>(first) | ... | static_cast<uint32_t>(more));
}
template <typename Flag>
constexpr bool has(uint32_t value, Flag flag) {
    return (value & static_cast<uint32_t>(flag)) != 0;
}

// CTRL bits (SDM 13.4.1).
enum class Ctrl : uint32_t {
    FD = 1u << 0,       // Full Duplex (used only with FRCDPLX)
    LRST = 1u << 3,     // Link Reset
    ASDE = 1u << 5,     // Auto-Speed Detection Enable
    SLU = 1u << 6,      // Set Link Up
    ILOS = 1u << 7,     // Invert Loss-of-Signal: must be 0 with the internal PHY
    FRCSPD = 1u << 11,  // Force Speed
    FRCDPLX = 1u << 12, // Force Duplex
    RST = 1u << 26,     // Device Reset: self-clearing
    RFCE = 1u << 27,    // Receive Flow Control Enable
    TFCE = 1u << 28,    // Transmit Flow Control Enable
    VME = 1u << 30,     // VLAN Mode Enable
    PHY_RST = 1u << 31, // PHY Reset
};

// STATUS bits (SDM 13.4.2).
enum class Status : uint32_t {
    FD = 1u << 0,    // the link is full duplex
    LU = 1u << 1,    // Link Up
    TXOFF = 1u << 4, // transmission paused (flow control)
};
// STATUS.SPEED, bits 7:6: 00 10 Mb/s, 01 100 Mb/s, 10 and 11 1000 Mb/s.
constexpr uint32_t status_speed_mbps(uint32_t status) {
    switch ((status >> 6) & 3) {
    case 0:
        return 10;
    case 1:
        return 100;
    default:
        return 1000;
    }
}

// EERD as the 82540EP/EM (and 82545/82546) lay it out (SDM 13.4.4; the 82541xx and 82547 put
// DONE and the address elsewhere): write START with the word address in bits 15:8, poll DONE,
// the word is in bits 31:16.
enum class Eerd : uint32_t {
    START = 1u << 0,
    DONE = 1u << 4,
};
constexpr uint32_t eerd_address(uint32_t word) {
    return (word & 0xff) << 8;
}
constexpr uint16_t eerd_data(uint32_t value) {
    return uint16_t(value >> 16);
}
// EEPROM words 0-2: the Ethernet address, low byte first in each word (SDM 5.6.1).
constexpr uint32_t EEPROM_ETHERNET_ADDRESS = 0;

// Interrupt causes: the same bit in ICR, ICS, IMS and IMC (SDM 13.4.17, table 13-63).
enum class Interrupt : uint32_t {
    TXDW = 1u << 0,   // Transmit Descriptor Written Back (a descriptor with RS is done)
    TXQE = 1u << 1,   // Transmit Queue Empty
    LSC = 1u << 2,    // Link Status Change
    RXSEQ = 1u << 3,  // Receive Sequence Error (reserved on the 82540EP/EM)
    RXDMT0 = 1u << 4, // Receive Descriptor Minimum Threshold reached
    RXO = 1u << 6,    // Receiver Overrun
    RXT0 = 1u << 7,   // Receiver Timer Interrupt: a frame was stored
    MDAC = 1u << 9,   // MDI/O Access Complete
    RXCFG = 1u << 10, // Receiving /C/ ordered sets
    TXD_LOW = 1u << 15,
    SRPD = 1u << 16, // Small Receive Packet Detected
};
constexpr uint32_t ALL_INTERRUPTS = 0xffffffffu; // written to IMC: every cause masked

// ITR.INTERVAL, bits 15:0, in units of 256 ns (SDM 13.4.18): the device leaves at least that
// long between interrupts. interrupts/s = 1 / (interval * 256 ns); 0 turns throttling off.
constexpr uint32_t itr_interval_for_rate(uint32_t interrupts_per_second) {
    if (interrupts_per_second == 0)
        return 0;
    uint32_t interval = uint32_t(1000000000ull / (256ull * interrupts_per_second));
    return interval > 0xffff ? 0xffff : (interval == 0 ? 1 : interval);
}

// RCTL bits (SDM 13.4.22, table 13-67).
enum class Rctl : uint32_t {
    EN = 1u << 1,     // Receiver Enable
    SBP = 1u << 2,    // Store Bad Packets
    UPE = 1u << 3,    // Unicast Promiscuous Enable
    MPE = 1u << 4,    // Multicast Promiscuous Enable
    LPE = 1u << 5,    // Long Packet Enable (frames up to 16 KiB)
    BAM = 1u << 15,   // Broadcast Accept Mode
    VFE = 1u << 18,   // VLAN Filter Enable
    BSEX = 1u << 25,  // Buffer Size Extension (BSIZE times 16)
    SECRC = 1u << 26, // Strip Ethernet CRC from the frame stored
};
// RCTL.BSIZE, bits 17:16, with BSEX clear: 00 2048 bytes, 01 1024, 10 512, 11 256.
constexpr uint32_t RCTL_BSIZE_2048 = 0u << 16;
// RCTL.RDMTS, bits 9:8: RXDMT0 when free descriptors fall to 1/2, 1/4 or 1/8 of the ring.
constexpr uint32_t RCTL_RDMTS_HALF = 0u << 8;

// TCTL bits and fields (SDM 13.4.33, table 13-76).
enum class Tctl : uint32_t {
    EN = 1u << 1,      // Transmit Enable
    PSP = 1u << 3,     // Pad Short Packets (to 64 bytes)
    SWXOFF = 1u << 22, // Software XOFF Transmission
    RTLC = 1u << 24,   // Re-transmit on Late Collision
};
// CT, bits 11:4: collision threshold, recommended 0Fh (meaningful in half duplex only).
constexpr uint32_t tctl_ct(uint32_t threshold) {
    return (threshold & 0xff) << 4;
}
// COLD, bits 21:12: collision distance, 40h (64 byte times) in full duplex, 200h in half.
constexpr uint32_t tctl_cold(uint32_t distance) {
    return (distance & 0x3ff) << 12;
}
constexpr uint32_t TCTL_CT_RECOMMENDED = 0x0f;
constexpr uint32_t TCTL_COLD_FULL_DUPLEX = 0x40;
constexpr uint32_t TCTL_COLD_HALF_DUPLEX = 0x200;

// TIPG fields (SDM 13.4.34, table 13-77): IPGT 9:0, IPGR1 19:10, IPGR2 29:20. For the IEEE
// 802.3 minimum gap of 96 bit times on copper (10/100/1000BASE-T) the manual gives IPGT 10,
// IPGR1 8 and IPGR2 6 for every part but the 82544GC/EI.
constexpr uint32_t tipg(uint32_t ipgt, uint32_t ipgr1, uint32_t ipgr2) {
    return (ipgt & 0x3ff) | (ipgr1 & 0x3ff) << 10 | (ipgr2 & 0x3ff) << 20;
}
constexpr uint32_t TIPG_COPPER = tipg(10, 8, 6);

// RAH bits (SDM 13.5.3): RAH holds address bytes 4 and 5 in its low 16 bits.
enum class Rah : uint32_t {
    AV = 1u << 31, // Address Valid
};

// RDLEN and TDLEN must be multiples of 128 bytes (13.4.27, 13.4.38); the rings' base
// addresses 16-byte aligned (paragraph aligned, 14.4 and 14.5).
constexpr uint32_t RING_LENGTH_ALIGNMENT = 128;

// The legacy receive descriptor (SDM 3.2.3): software gives the buffer address;
// the device writes the rest back when it has stored a frame.
struct ReceiveDescriptor {
    uint64_t buffer_address;
    uint16_t length; // bytes stored in this buffer (without the CRC when RCTL.SECRC)
    uint16_t packet_checksum;
    uint8_t status; // RxStatus
    uint8_t errors; // RxError: valid only with DD and EOP
    uint16_t special;
};
static_assert(sizeof(ReceiveDescriptor) == 16, "SDM 3.2.3: a receive descriptor is 16 bytes");

// RDESC.STATUS (SDM 3.2.3.1, table 3-2).
enum class RxStatus : uint8_t {
    DD = 1u << 0,    // Descriptor Done
    EOP = 1u << 1,   // End of Packet: the last buffer of a frame
    IXSM = 1u << 2,  // Ignore Checksum Indication
    VP = 1u << 3,    // 802.1Q packet
    TCPCS = 1u << 5, // TCP/UDP checksum calculated
    IPCS = 1u << 6,  // IP checksum calculated
    PIF = 1u << 7,   // Passed In-exact Filter
};

// RDESC.ERRORS (SDM 3.2.3.2, table 3-3).
enum class RxError : uint8_t {
    CE = 1u << 0,   // CRC or alignment error
    SE = 1u << 1,   // Symbol error
    SEQ = 1u << 2,  // Sequence error
    CXE = 1u << 4,  // Carrier extension error
    TCPE = 1u << 5, // TCP/UDP checksum error
    IPE = 1u << 6,  // IP checksum error
    RXE = 1u << 7,  // RX data error
};

// The legacy transmit descriptor (SDM 3.3.3).
struct TransmitDescriptor {
    uint64_t buffer_address;
    uint16_t length; // bytes to send from the buffer
    uint8_t cso;     // checksum offset (unused here)
    uint8_t cmd;     // TxCommand
    uint8_t status;  // TxStatus in the low nibble
    uint8_t css;     // checksum start (unused here)
    uint16_t special;
};
static_assert(sizeof(TransmitDescriptor) == 16, "SDM 3.3.3: a transmit descriptor is 16 bytes");

// TDESC.CMD (SDM 3.3.3.1).
enum class TxCommand : uint8_t {
    EOP = 1u << 0,  // End Of Packet
    IFCS = 1u << 1, // Insert FCS (the CRC)
    IC = 1u << 2,   // Insert Checksum
    RS = 1u << 3,   // Report Status: write DD back when done
    DEXT = 1u << 5, // Descriptor Extension: 0 for the legacy format
    VLE = 1u << 6,  // VLAN Packet Enable
    IDE = 1u << 7,  // Interrupt Delay Enable
};

// TDESC.STA (SDM 3.3.3.2).
enum class TxStatus : uint8_t {
    DD = 1u << 0, // Descriptor Done
    EC = 1u << 1, // Excess Collisions
    LC = 1u << 2, // Late Collision
};

// Ethernet frames as the kernel hands them over and takes them (without the CRC).
constexpr uint32_t MIN_FRAME = 14;   // a header
constexpr uint32_t MAX_FRAME = 1518; // 14 + 1500 + a 4-byte 802.1Q tag

} // namespace e1000
