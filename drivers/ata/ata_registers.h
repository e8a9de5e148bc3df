// The registers of a parallel ATA channel and of the PCI bus-master IDE function, in the
// standards' words: ATA/ATAPI-6 (T13 1410D) section 7 for the command and control blocks and
// section 8 for the commands; the "Programming Interface for Bus Master IDE Controller" (SFF
// 8038i) for the bus-master registers and the physical region descriptor table.
#pragma once

#include <stdint.h>

namespace ata {

// Command block registers, as offsets from the channel's command block base (0x1f0 / 0x170 in
// compatibility mode). Some share an offset: what the host reads and what it writes differ.
namespace reg {
constexpr uint16_t DATA = 0;         // 16-bit PIO data
constexpr uint16_t ERROR = 1;        // read: why the last command failed (ATA-6 7.9)
constexpr uint16_t FEATURES = 1;     // write
constexpr uint16_t SECTOR_COUNT = 2; //
constexpr uint16_t LBA_LOW = 3;      //
constexpr uint16_t LBA_MID = 4;      //
constexpr uint16_t LBA_HIGH = 5;     //
constexpr uint16_t DEVICE = 6;       // ATA-6 7.10: DEV (bit 4) selects the slave, LBA (bit 6)
constexpr uint16_t STATUS = 7;       // read: reading it acknowledges INTRQ (ATA-6 7.15)
constexpr uint16_t COMMAND = 7;      // write
} // namespace reg

// Control block, as an offset from the control base (0x3f6 / 0x376: one register).
namespace control {
constexpr uint16_t ALTERNATE_STATUS = 0; // read: the status without acknowledging INTRQ
constexpr uint16_t DEVICE_CONTROL = 0;   // write (ATA-6 7.8)
} // namespace control

// Status register bits (ATA-6 7.15).
namespace status {
constexpr uint8_t ERR = 0x01;  // an error: see the error register
constexpr uint8_t DRQ = 0x08;  // ready to transfer a block of data
constexpr uint8_t DF = 0x20;   // device fault
constexpr uint8_t DRDY = 0x40; // ready to accept commands
constexpr uint8_t BSY = 0x80;  // busy: every other bit is meaningless
} // namespace status

// Error register bits (ATA-6 7.9 and the command descriptions).
namespace error {
constexpr uint8_t AMNF = 0x01; // address mark not found (obsolete)
constexpr uint8_t NM = 0x02;   // no media
constexpr uint8_t ABRT = 0x04; // command aborted: not supported, or a bad parameter
constexpr uint8_t MCR = 0x08;  // media change request
constexpr uint8_t IDNF = 0x10; // the address was not found
constexpr uint8_t MC = 0x20;   // media changed
constexpr uint8_t UNC = 0x40;  // uncorrectable data error
constexpr uint8_t ICRC = 0x80; // interface CRC error (Ultra DMA)
} // namespace error

// Device register bits (ATA-6 7.10); bits 7 and 5 are obsolete and set by convention.
namespace device {
constexpr uint8_t OBSOLETE = 0xa0;
constexpr uint8_t LBA = 0x40;
constexpr uint8_t DEV = 0x10; // device 1 (slave)
} // namespace device

// Device control register bits (ATA-6 7.8).
namespace device_control {
constexpr uint8_t NIEN = 0x02; // INTRQ disabled
constexpr uint8_t SRST = 0x04; // software reset of both devices on the channel
constexpr uint8_t HOB = 0x80;  // read back the high-order bytes of a 48-bit address
} // namespace device_control

// Commands (ATA-6 section 8) used here.
namespace command {
constexpr uint8_t READ_SECTORS = 0x20;
constexpr uint8_t READ_SECTORS_EXT = 0x24;
constexpr uint8_t READ_DMA_EXT = 0x25;
constexpr uint8_t WRITE_SECTORS = 0x30;
constexpr uint8_t WRITE_SECTORS_EXT = 0x34;
constexpr uint8_t WRITE_DMA_EXT = 0x35;
constexpr uint8_t IDENTIFY_PACKET_DEVICE = 0xa1;
constexpr uint8_t READ_DMA = 0xc8;
constexpr uint8_t WRITE_DMA = 0xca;
constexpr uint8_t FLUSH_CACHE = 0xe7;
constexpr uint8_t IDENTIFY_DEVICE = 0xec;
constexpr uint8_t FLUSH_CACHE_EXT = 0xea;
} // namespace command

// IDENTIFY DEVICE data, as word indexes (ATA-6 8.15, table 27).
namespace identify {
constexpr unsigned GENERAL_CONFIGURATION = 0; // bit 15 clear: an ATA device
constexpr unsigned MODEL_NUMBER = 27;         // 40 ASCII characters, two per word, high byte first
constexpr unsigned MODEL_WORDS = 20;
constexpr unsigned CAPABILITIES = 49;   // bit 8: DMA supported; bit 9: LBA supported
constexpr unsigned LBA28_SECTORS = 60;  // two words, low first
constexpr unsigned COMMAND_SETS_2 = 83; // bit 10: the 48-bit Address feature set
constexpr unsigned LBA48_SECTORS = 100; // four words, low first
constexpr uint16_t CAPABILITY_DMA = 1u << 8;
constexpr uint16_t CAPABILITY_LBA = 1u << 9;
constexpr uint16_t COMMAND_SET_LBA48 = 1u << 10;
} // namespace identify

// Bus-master IDE registers (SFF 8038i section 2), as offsets from the channel's part of BAR4
// (the primary channel at +0, the secondary at +8).
namespace bus_master {
constexpr uint16_t COMMAND = 0;
constexpr uint16_t STATUS = 2;
constexpr uint16_t PRDT_ADDRESS = 4; // 32-bit physical address of the PRD table, dword aligned

constexpr uint8_t COMMAND_START = 0x01;
constexpr uint8_t COMMAND_READ = 0x08; // the bus master writes memory: a device-to-host transfer

constexpr uint8_t STATUS_ACTIVE = 0x01;
constexpr uint8_t STATUS_ERROR = 0x02;     // write 1 to clear
constexpr uint8_t STATUS_INTERRUPT = 0x04; // the device raised INTRQ; write 1 to clear
} // namespace bus_master

// One physical region descriptor (SFF 8038i 1.2): a region must not cross a 64 KiB boundary; a
// byte count of 0 means 64 KiB; the last entry of the table has END_OF_TABLE set.
struct PhysicalRegion {
    uint32_t address;
    uint16_t byte_count;
    uint16_t flags;
};
constexpr uint16_t END_OF_TABLE = 0x8000;

constexpr unsigned SECTOR_SIZE = 512;
constexpr uint64_t LBA28_LIMIT = 1ull << 28;

} // namespace ata
