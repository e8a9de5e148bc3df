// One parallel ATA channel of the IDE controller and the (up to two) disks on it: reset and
// probe (IDENTIFY), and sector transfers by PIO or bus-master DMA, each completed by the
// channel's interrupt with a bounded wait. Every wait on the device is bounded: a device that
// does not answer is reported and its command fails with -NK_EIO; nothing spins for long.
#pragma once

#include "ata_registers.h"

#include <nooks/kernel_api.h>

namespace ata {

struct Channel;

struct Disk {
    Channel* channel;
    uint8_t unit; // 0 master, 1 slave
    bool present;
    bool lba48;
    bool dma; // the device supports DMA and the channel has a bus master
    uint64_t sectors;
    char name[8];   // hda, hdb...
    char model[41]; // from IDENTIFY, trailing spaces cut
    nk_blkdev_handle registration;
    // The kernel's transfer window for this disk (nk_blkdev_window), DMA-reachable: data the
    // kernel put there moves in place. Null: none (data moves through the channel's buffer).
    uint8_t* window;
    uint64_t window_bus;
    uint64_t window_bytes;
};

// What a channel counts (`ext stats` and the driver's own log lines).
struct ChannelCounters {
    uint64_t commands;
    uint64_t interrupts;
    uint64_t errors;
    uint64_t timeouts;
    uint64_t resets;
};

struct Channel {
    const char* name; // "primary", "secondary"
    uint16_t command_base;
    uint16_t control_base;
    uint16_t bus_master_base; // 0: no bus master, PIO only
    unsigned irq;
    bool use_dma;
    volatile int busy;    // one command at a time on a channel (ata_channel.cpp, lock_channel)
    nk_event_handle done; // signalled by the interrupt handler
    nk_irq_handle irq_handle;
    volatile uint8_t last_status;     // the status the handler read (acknowledging INTRQ)
    volatile uint8_t last_bus_status; // the bus-master status the handler saw
    // DMA: the PRD table and a bounce buffer, both physically contiguous.
    PhysicalRegion* prd_table;
    uint64_t prd_table_bus;
    nk_dma_handle prd_table_dma;
    uint8_t* dma_buffer;
    uint64_t dma_buffer_bus;
    nk_dma_handle dma_buffer_dma;
    Disk disks[2];
    ChannelCounters counters;
};

constexpr uint32_t DMA_BUFFER_BYTES = 256 * 1024;
// The transfer window asked of the kernel per disk: as large as the kernel's largest request
// (a run of its buffer cache), so one command carries it.
constexpr uint32_t WINDOW_BYTES = 1024 * 1024;

// Takes the channel's interrupt, event and lock (and DMA memory when `use_dma` and there is a
// bus master), resets the channel and identifies its devices. A channel with nothing on it is
// fine (no disks). -errno only when a kernel resource could not be had.
nk_status start_channel(Channel& channel);
// Releases what start_channel took (the disks must be unregistered first).
void stop_channel(Channel& channel);

// `count` sectors from `sector` into or out of `buffer`; 0 or -NK_EIO (the cause is logged in
// words). Takes the channel's lock.
nk_status read_sectors(Disk& disk, uint64_t sector, uint32_t count, void* buffer);
nk_status write_sectors(Disk& disk, uint64_t sector, uint32_t count, const void* buffer);
nk_status flush_cache(Disk& disk);

// The status and error registers in words ("DRDY ERR", "ABRT IDNF") into `out`.
void describe_status(uint8_t status, uint8_t error, char* out, size_t size);

} // namespace ata
