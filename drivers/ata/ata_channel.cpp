#include "ata_channel.h"

#include <nooks/support.h>

namespace ata {

namespace {

// How long the device may take.
constexpr uint64_t COMMAND_TIMEOUT_MS = 2000;
// How long a command waits for the channel: one command's worst case (timeout, reset) and more.
constexpr uint64_t CHANNEL_WAIT_MS = 3 * COMMAND_TIMEOUT_MS + 1000;

// One command at a time on a channel. Taking a free channel costs no crossing (an atomic flag
// in the driver's own memory); a command that finds it busy — rare: the kernel's buffer cache
// already sends one request at a time — sleeps a millisecond at a time, bounded.
bool lock_channel(Channel& channel) {
    for (uint64_t waited = 0; __atomic_exchange_n(&channel.busy, 1, __ATOMIC_ACQUIRE); ++waited) {
        if (waited >= CHANNEL_WAIT_MS)
            return false;
        nk_sleep_ms(1);
    }
    return true;
}

void unlock_channel(Channel& channel) {
    __atomic_store_n(&channel.busy, 0, __ATOMIC_RELEASE);
}
constexpr uint64_t RESET_TIMEOUT_MS = 1000;
constexpr uint64_t IDENTIFY_TIMEOUT_MS = 500;

uint8_t in_status(const Channel& channel) {
    return nk_io_in8(uint16_t(channel.command_base + reg::STATUS));
}
uint8_t in_alternate_status(const Channel& channel) {
    return nk_io_in8(uint16_t(channel.control_base + control::ALTERNATE_STATUS));
}
uint8_t in_error(const Channel& channel) {
    return nk_io_in8(uint16_t(channel.command_base + reg::ERROR));
}
void out_register(const Channel& channel, uint16_t offset, uint8_t value) {
    nk_io_out8(uint16_t(channel.command_base + offset), value);
}

// ATA-6 9.2: the host waits 400 ns after writing the device register (or a command) before the
// status is valid; four reads of the alternate status take at least that long.
void settle(const Channel& channel) {
    for (int i = 0; i < 4; ++i)
        (void)in_alternate_status(channel);
}

// Polls the alternate status until (status & mask) == want, for at most `milliseconds`. A few
// hundred quick reads first (QEMU and Bochs answer at once), then 1 ms sleeps, so a slow device
// never keeps the extension running without a break. Returns the last status read, and whether
// it matched.
bool poll_status(const Channel& channel, uint8_t mask, uint8_t want, uint64_t milliseconds,
                 uint8_t* last) {
    for (int i = 0; i < 512; ++i) {
        uint8_t status = in_alternate_status(channel);
        *last = status;
        if ((status & mask) == want)
            return true;
    }
    uint64_t deadline = nk_uptime_ns() + milliseconds * 1000000;
    while (nk_uptime_ns() < deadline) {
        nk_sleep_ms(1);
        uint8_t status = in_alternate_status(channel);
        *last = status;
        if ((status & mask) == want)
            return true;
    }
    return false;
}

void log_failure(Disk& disk, const char* what, uint8_t status, uint8_t error_bits) {
    char words[96];
    describe_status(status, error_bits, words, sizeof words);
    nk_log("%s: %s failed: %s\n", disk.name, what, words);
}

// Acknowledges the channel's interrupt: the bus-master interrupt bit (write 1 to clear; the
// "drive DMA capable" bits kept) and INTRQ (reading the status register, ATA-6 7.15). The
// kernel only woke this thread (nk_irq_event): nothing ran in interrupt context.
uint8_t acknowledge(Channel& channel) {
    if (channel.bus_master_base) {
        uint16_t port = uint16_t(channel.bus_master_base + bus_master::STATUS);
        uint8_t bus_status = nk_io_in8(port);
        nk_io_out8(port, uint8_t((bus_status & 0x60) | bus_master::STATUS_INTERRUPT));
        channel.last_bus_status = bus_status;
    }
    channel.last_status = in_status(channel);
    ++channel.counters.interrupts;
    return channel.last_status;
}

// Waits for the interrupt that ends a command phase, then acknowledges it. A signal left over
// from an earlier interrupt shows up as a status with BSY still set: then wait on (a few times
// at most). -NK_ETIMEDOUT when nothing came in time.
nk_status wait_interrupt(Channel& channel, uint8_t* status) {
    for (int attempt = 0; attempt < 4; ++attempt) {
        nk_status waited = nk_event_wait(channel.done, COMMAND_TIMEOUT_MS);
        if (waited == -NK_ECANCELED)
            return waited;
        if (!(in_alternate_status(channel) & status::BSY)) {
            *status = acknowledge(channel);
            return 0;
        }
        if (waited == -NK_ETIMEDOUT)
            return -NK_ETIMEDOUT;
    }
    return -NK_ETIMEDOUT;
}

// Selects the device and waits until the channel is not busy (ATA-6 9.5, "device selection").
nk_status select(Channel& channel, uint8_t unit, uint8_t lba_top) {
    uint8_t status = 0;
    if (!poll_status(channel, status::BSY | status::DRQ, 0, COMMAND_TIMEOUT_MS, &status))
        return -NK_ETIMEDOUT;
    out_register(
        channel, reg::DEVICE,
        uint8_t(device::OBSOLETE | device::LBA | (unit ? device::DEV : 0) | (lba_top & 0x0f)));
    settle(channel);
    if (!poll_status(channel, status::BSY | status::DRQ, 0, COMMAND_TIMEOUT_MS, &status))
        return -NK_ETIMEDOUT;
    return 0;
}

// Loads the address and count registers and writes the command (ATA-6 8: the 28-bit commands
// take LBA bits 24-27 in the device register; the 48-bit ones take two bytes in each register,
// the previous (high) byte first).
nk_status issue(Channel& channel, Disk& disk, uint8_t command, uint64_t sector, uint32_t count,
                bool extended) {
    nk_status selected = select(channel, disk.unit, extended ? 0 : uint8_t(sector >> 24));
    if (selected < 0)
        return selected;
    if (extended) {
        out_register(channel, reg::SECTOR_COUNT, uint8_t(count >> 8));
        out_register(channel, reg::LBA_LOW, uint8_t(sector >> 24));
        out_register(channel, reg::LBA_MID, uint8_t(sector >> 32));
        out_register(channel, reg::LBA_HIGH, uint8_t(sector >> 40));
    }
    out_register(channel, reg::SECTOR_COUNT, uint8_t(count));
    out_register(channel, reg::LBA_LOW, uint8_t(sector));
    out_register(channel, reg::LBA_MID, uint8_t(sector >> 8));
    out_register(channel, reg::LBA_HIGH, uint8_t(sector >> 16));
    ++channel.counters.commands;
    out_register(channel, reg::COMMAND, command);
    return 0;
}

// Selects `unit` and makes sure the selection took: a device ignores writes to its command
// block while the selected one is busy (QEMU's IDE does too), and the status of a missing
// device reads as 0 — so a selection lost during a reset would make a present disk look absent.
// The device register reads back the selection (ATA-6 7.10). False when it never took.
bool select_after_reset(Channel& channel, uint8_t unit) {
    uint8_t wanted = unit ? device::DEV : 0;
    for (int attempt = 0; attempt < 100; ++attempt) {
        out_register(channel, reg::DEVICE, uint8_t(device::OBSOLETE | wanted));
        settle(channel);
        uint8_t selected = nk_io_in8(uint16_t(channel.command_base + reg::DEVICE));
        if (selected == 0xff)
            return false; // nothing on the channel: a floating bus
        if ((selected & device::DEV) == wanted)
            return true;
        nk_sleep_ms(1);
    }
    return false;
}

// Software reset of the channel (ATA-6 9.2): SRST for at least 5 us, then at least 2 ms before
// the status means anything, then wait for BSY to clear on device 0 (which answers for both
// after a reset); interrupts enabled again (nIEN clear).
void reset_channel(Channel& channel) {
    ++channel.counters.resets;
    uint16_t port = uint16_t(channel.control_base + control::DEVICE_CONTROL);
    nk_io_out8(port, device_control::SRST | device_control::NIEN);
    for (int i = 0; i < 40; ++i) // each read takes about 1 us on an ISA-timed port
        (void)in_alternate_status(channel);
    nk_io_out8(port, 0);
    nk_sleep_ms(2);
    uint8_t status = 0;
    (void)poll_status(channel, status::BSY, 0, RESET_TIMEOUT_MS, &status);
    if (select_after_reset(channel, 0))
        (void)poll_status(channel, status::BSY, 0, RESET_TIMEOUT_MS, &status);
}

nk_status fail(Disk& disk, const char* what, nk_status cause) {
    Channel& channel = *disk.channel;
    if (cause == -NK_ETIMEDOUT) {
        ++channel.counters.timeouts;
        uint8_t status = in_alternate_status(channel);
        char words[96];
        describe_status(status, 0, words, sizeof words);
        nk_log("%s: %s: no answer in %lu ms (status %s); resetting the channel\n", disk.name, what,
               static_cast<unsigned long>(COMMAND_TIMEOUT_MS), words);
        reset_channel(channel);
    } else if (cause == -NK_EIO) {
        ++channel.counters.errors;
        uint8_t status = in_alternate_status(channel);
        log_failure(disk, what, status, (status & status::ERR) ? in_error(channel) : 0);
    }
    return cause == -NK_ECANCELED ? cause : -NK_EIO;
}

// The 40-character model string: two characters per word, the first in the high byte.
void copy_model(const uint16_t* words, char* out) {
    for (unsigned i = 0; i < identify::MODEL_WORDS; ++i) {
        out[2 * i] = char(words[identify::MODEL_NUMBER + i] >> 8);
        out[2 * i + 1] = char(words[identify::MODEL_NUMBER + i] & 0xff);
    }
    int end = 2 * identify::MODEL_WORDS;
    out[end] = 0;
    while (end > 0 && (out[end - 1] == ' ' || out[end - 1] == 0))
        out[--end] = 0;
    for (int i = 0; i < end; ++i) {
        if (out[i] < 0x20 || out[i] > 0x7e)
            out[i] = '?'; // device data is untrusted: nothing unprintable reaches the log
    }
}

// IDENTIFY DEVICE by polling (the probe runs before the disks are in use). A missing device
// reads as status 0 or as a floating bus (0xff); an ATAPI device aborts the command and leaves
// its signature (ATA-6 9.12: LBA mid 0x14, LBA high 0xeb) — it is not a disk, so it is skipped.
void identify_disk(Channel& channel, Disk& disk, uint16_t* words) {
    disk.present = false;
    if (!select_after_reset(channel, disk.unit))
        return;
    uint8_t status = in_alternate_status(channel);
    if (status == 0 || status == 0xff)
        return;
    if (!poll_status(channel, status::BSY, 0, IDENTIFY_TIMEOUT_MS, &status))
        return;
    out_register(channel, reg::COMMAND, command::IDENTIFY_DEVICE);
    settle(channel);
    status = in_alternate_status(channel);
    if (status == 0 || status == 0xff)
        return;
    if (!poll_status(channel, status::BSY, 0, IDENTIFY_TIMEOUT_MS, &status)) {
        nk_log("%s: does not answer IDENTIFY (status %#x); ignored\n", disk.name, status);
        return;
    }
    uint8_t mid = nk_io_in8(uint16_t(channel.command_base + reg::LBA_MID));
    uint8_t high = nk_io_in8(uint16_t(channel.command_base + reg::LBA_HIGH));
    if (mid == 0x14 && high == 0xeb) {
        (void)in_status(channel);
        nk_log("%s: ATAPI device (a CD drive), not a disk: skipped\n", disk.name);
        return;
    }
    if (status & status::ERR || !(status & status::DRQ)) {
        (void)in_status(channel);
        return;
    }
    nk_io_ins16(uint16_t(channel.command_base + reg::DATA), words, 256);
    (void)in_status(channel);
    if (words[identify::GENERAL_CONFIGURATION] & 0x8000)
        return;
    if (!(words[identify::CAPABILITIES] & identify::CAPABILITY_LBA)) {
        nk_log("%s: no LBA addressing (CHS only): not supported\n", disk.name);
        return;
    }
    copy_model(words, disk.model);
    disk.sectors = uint64_t(words[identify::LBA28_SECTORS]) |
                   (uint64_t(words[identify::LBA28_SECTORS + 1]) << 16);
    disk.lba48 = words[identify::COMMAND_SETS_2] & identify::COMMAND_SET_LBA48;
    if (disk.lba48) {
        uint64_t sectors48 = 0;
        for (int i = 3; i >= 0; --i)
            sectors48 = (sectors48 << 16) | words[identify::LBA48_SECTORS + i];
        if (sectors48 > disk.sectors && sectors48 < (1ull << 48))
            disk.sectors = sectors48;
    }
    disk.dma = channel.use_dma && (words[identify::CAPABILITIES] & identify::CAPABILITY_DMA);
    disk.present = disk.sectors > 0;
}

// A data transfer command: the 48-bit form (`command48`) when the range or the count needs it,
// the 28-bit one otherwise, with the count as its register takes it (0 meaning the maximum).
nk_status issue_transfer(Channel& channel, Disk& disk, uint8_t command28, uint8_t command48,
                         uint64_t sector, uint32_t count) {
    bool extended = sector + count > LBA28_LIMIT || count > 256;
    return issue(channel, disk, extended ? command48 : command28, sector,
                 count & (extended ? 0xffff : 0xff), extended);
}

// PIO data-in (ATA-6 9.7): one interrupt per sector, then its 256 words from the data register.
nk_status pio_in(Disk& disk, uint64_t sector, uint32_t count, uint8_t* buffer) {
    Channel& channel = *disk.channel;
    nk_status issued = issue_transfer(channel, disk, command::READ_SECTORS,
                                      command::READ_SECTORS_EXT, sector, count);
    if (issued < 0)
        return fail(disk, "READ SECTORS", issued);
    for (uint32_t i = 0; i < count; ++i) {
        uint8_t status = 0;
        nk_status waited = wait_interrupt(channel, &status);
        if (waited < 0)
            return fail(disk, "READ SECTORS", waited);
        if (status & (status::ERR | status::DF) || !(status & status::DRQ))
            return fail(disk, "READ SECTORS", -NK_EIO);
        nk_io_ins16(uint16_t(channel.command_base + reg::DATA), buffer + i * SECTOR_SIZE,
                    SECTOR_SIZE / 2);
    }
    return 0;
}

// PIO data-out (ATA-6 9.8): the first sector goes when DRQ comes up; each later one, and the
// end of the command, is announced by an interrupt.
nk_status pio_out(Disk& disk, uint64_t sector, uint32_t count, const uint8_t* buffer) {
    Channel& channel = *disk.channel;
    nk_status issued = issue_transfer(channel, disk, command::WRITE_SECTORS,
                                      command::WRITE_SECTORS_EXT, sector, count);
    if (issued < 0)
        return fail(disk, "WRITE SECTORS", issued);
    settle(channel);
    uint8_t status = 0;
    if (!poll_status(channel, status::BSY | status::DRQ, status::DRQ, COMMAND_TIMEOUT_MS,
                     &status)) {
        if (status & (status::ERR | status::DF))
            return fail(disk, "WRITE SECTORS", -NK_EIO);
        return fail(disk, "WRITE SECTORS", -NK_ETIMEDOUT);
    }
    for (uint32_t i = 0; i < count; ++i) {
        nk_io_outs16(uint16_t(channel.command_base + reg::DATA), buffer + i * SECTOR_SIZE,
                     SECTOR_SIZE / 2);
        nk_status waited = wait_interrupt(channel, &status);
        if (waited < 0)
            return fail(disk, "WRITE SECTORS", waited);
        if (status & (status::ERR | status::DF))
            return fail(disk, "WRITE SECTORS", -NK_EIO);
        bool more = i + 1 < count;
        if (more != bool(status & status::DRQ))
            return fail(disk, "WRITE SECTORS", -NK_EIO);
    }
    return 0;
}

// Bus-master DMA (SFF 8038i 3: PRD table and direction first, then the ATA command, then Start;
// the interrupt ends the transfer; then Start is cleared). The data moves to or from physical
// memory at `bus` (the channel's DMA buffer or the disk's window).
nk_status dma_transfer(Disk& disk, uint64_t bus, uint64_t sector, uint32_t count, bool write) {
    Channel& channel = *disk.channel;
    uint32_t bytes = count * SECTOR_SIZE;
    // Regions never cross a 64 KiB boundary, wherever the buffer lies.
    unsigned regions = 0;
    for (uint32_t done = 0; done < bytes;) {
        uint64_t address = bus + done;
        uint32_t to_boundary = uint32_t(0x10000 - (address & 0xffff));
        uint32_t piece = bytes - done < to_boundary ? bytes - done : to_boundary;
        channel.prd_table[regions++] = {uint32_t(address), uint16_t(piece & 0xffff), 0};
        done += piece;
    }
    channel.prd_table[regions - 1].flags = END_OF_TABLE;
    uint16_t base = channel.bus_master_base;
    nk_io_out8(uint16_t(base + bus_master::COMMAND), 0);
    nk_io_out32(uint16_t(base + bus_master::PRDT_ADDRESS), uint32_t(channel.prd_table_bus));
    uint8_t direction = write ? 0 : bus_master::COMMAND_READ;
    nk_io_out8(uint16_t(base + bus_master::COMMAND), direction);
    uint8_t bus_status = nk_io_in8(uint16_t(base + bus_master::STATUS));
    nk_io_out8(
        uint16_t(base + bus_master::STATUS),
        uint8_t((bus_status & 0x60) | bus_master::STATUS_INTERRUPT | bus_master::STATUS_ERROR));
    const char* what = write ? "WRITE DMA" : "READ DMA";
    nk_status issued = write ? issue_transfer(channel, disk, command::WRITE_DMA,
                                              command::WRITE_DMA_EXT, sector, count)
                             : issue_transfer(channel, disk, command::READ_DMA,
                                              command::READ_DMA_EXT, sector, count);
    if (issued < 0)
        return fail(disk, what, issued);
    nk_io_out8(uint16_t(base + bus_master::COMMAND),
               uint8_t(direction | bus_master::COMMAND_START));
    uint8_t status = 0;
    nk_status waited = wait_interrupt(channel, &status);
    nk_io_out8(uint16_t(base + bus_master::COMMAND), direction); // stop the engine
    if (waited < 0)
        return fail(disk, what, waited);
    if ((channel.last_bus_status & bus_master::STATUS_ERROR) ||
        (status & (status::ERR | status::DF)))
        return fail(disk, what, -NK_EIO);
    return 0;
}

// One transfer of at most what a single command (and, for DMA, the buffer: the disk's window
// when the data is in it, else the channel's) carries.
uint32_t per_command(const Disk& disk, bool in_window) {
    // LBA28's count register holds 1..256 (0 meaning 256 — avoided); LBA48's up to 65536.
    uint32_t limit = disk.lba48 ? 65535 : 255;
    uint64_t buffer = in_window ? disk.window_bytes : DMA_BUFFER_BYTES;
    if (disk.dma)
        return buffer / SECTOR_SIZE < limit ? uint32_t(buffer / SECTOR_SIZE) : limit;
    return disk.lba48 ? 256 : 255;
}

// Whether `bytes` at `data` lie in the disk's window.
bool in_window(const Disk& disk, const uint8_t* data, uint64_t bytes) {
    uintptr_t start = reinterpret_cast<uintptr_t>(data);
    uintptr_t window = reinterpret_cast<uintptr_t>(disk.window);
    return disk.window && bytes <= disk.window_bytes && start >= window &&
           start - window <= disk.window_bytes - bytes;
}

nk_status transfer(Disk& disk, uint64_t sector, uint32_t count, uint8_t* data, bool write) {
    Channel& channel = *disk.channel;
    if (sector >= disk.sectors || count > disk.sectors - sector)
        return -NK_EINVAL;
    if (!disk.lba48 && sector + count > LBA28_LIMIT)
        return -NK_EINVAL;
    if (!lock_channel(channel)) {
        nk_log("%s: %s channel busy for %lu ms; request refused\n", disk.name, channel.name,
               static_cast<unsigned long>(CHANNEL_WAIT_MS));
        return -NK_EIO;
    }
    nk_status result = 0;
    for (uint32_t done = 0; done < count && result == 0;) {
        uint8_t* piece = data + uint64_t(done) * SECTOR_SIZE;
        // Data the kernel placed in the disk's window moves in place; any other buffer through
        // the channel's.
        bool direct = disk.dma && in_window(disk, piece, uint64_t(count - done) * SECTOR_SIZE);
        uint32_t most = per_command(disk, direct);
        uint32_t chunk = count - done < most ? count - done : most;
        if (disk.dma) {
            uint32_t bytes = chunk * SECTOR_SIZE;
            uint64_t bus =
                direct ? disk.window_bus + (piece - disk.window) : channel.dma_buffer_bus;
            if (write && !direct)
                memcpy(channel.dma_buffer, piece, bytes);
            result = dma_transfer(disk, bus, sector + done, chunk, write);
            if (result == 0 && !write && !direct)
                memcpy(piece, channel.dma_buffer, bytes);
        } else {
            result = write ? pio_out(disk, sector + done, chunk, piece)
                           : pio_in(disk, sector + done, chunk, piece);
        }
        done += chunk;
    }
    unlock_channel(channel);
    return result;
}

} // namespace

void describe_status(uint8_t status, uint8_t error_bits, char* out, size_t size) {
    struct Bit {
        uint8_t mask;
        const char* word;
    };
    static const Bit status_bits[] = {{status::BSY, "BSY"}, {status::DRDY, "DRDY"},
                                      {status::DF, "DF"},   {0x10, "DSC"},
                                      {status::DRQ, "DRQ"}, {status::ERR, "ERR"}};
    static const Bit error_words[] = {
        {error::ICRC, "ICRC"}, {error::UNC, "UNC"},   {error::MC, "MC"}, {error::IDNF, "IDNF"},
        {error::MCR, "MCR"},   {error::ABRT, "ABRT"}, {error::NM, "NM"}, {error::AMNF, "AMNF"}};
    size_t used = 0;
    auto put = [&](const char* word) {
        int wrote = nk_snprintf(out + used, size - used, "%s%s", used ? " " : "", word);
        if (wrote > 0)
            used = used + size_t(wrote) < size ? used + size_t(wrote) : size - 1;
    };
    if (size == 0)
        return;
    out[0] = 0;
    if (status == 0xff) {
        put("0xff (no device)");
        return;
    }
    for (const Bit& bit : status_bits) {
        if (status & bit.mask)
            put(bit.word);
    }
    if (status == 0)
        put("none");
    if (error_bits) {
        put("; error");
        for (const Bit& bit : error_words) {
            if (error_bits & bit.mask)
                put(bit.word);
        }
    }
}

nk_status start_channel(Channel& channel) {
    nk_status result = 0;
    if ((result = nk_event_create(&channel.done)) < 0)
        return result;
    if (channel.use_dma && channel.bus_master_base) {
        channel.prd_table = static_cast<PhysicalRegion*>(
            nk_dma_alloc(4096, &channel.prd_table_bus, &channel.prd_table_dma));
        channel.dma_buffer = static_cast<uint8_t*>(
            nk_dma_alloc(DMA_BUFFER_BYTES, &channel.dma_buffer_bus, &channel.dma_buffer_dma));
        // SFF 8038i: the PRD table and the regions are 32-bit physical addresses.
        if (!channel.prd_table || !channel.dma_buffer ||
            channel.prd_table_bus + 4096 > (1ull << 32) ||
            channel.dma_buffer_bus + DMA_BUFFER_BYTES > (1ull << 32)) {
            nk_log("%s channel: no DMA memory below 4 GiB; using PIO\n", channel.name);
            channel.use_dma = false;
        }
    } else {
        channel.use_dma = false;
    }
    // The legacy channel interrupts are edge-triggered ISA lines of their own: the kernel wakes
    // the waiting thread itself, and the thread acknowledges the device (no crossing into the
    // driver at interrupt time).
    if ((result = nk_irq_event(channel.irq, channel.done, &channel.irq_handle)) < 0)
        return result;
    reset_channel(channel);
    uint16_t* words = static_cast<uint16_t*>(nk_malloc(512));
    if (!words)
        return -NK_ENOMEM;
    for (Disk& disk : channel.disks)
        identify_disk(channel, disk, words);
    nk_free(words);
    return 0;
}

void stop_channel(Channel& channel) {
    if (channel.irq_handle)
        nk_free_irq(channel.irq_handle);
    if (channel.prd_table_dma)
        nk_dma_free(channel.prd_table_dma);
    if (channel.dma_buffer_dma)
        nk_dma_free(channel.dma_buffer_dma);
    if (channel.done)
        nk_event_destroy(channel.done);
}

nk_status read_sectors(Disk& disk, uint64_t sector, uint32_t count, void* buffer) {
    return transfer(disk, sector, count, static_cast<uint8_t*>(buffer), false);
}

nk_status write_sectors(Disk& disk, uint64_t sector, uint32_t count, const void* buffer) {
    return transfer(disk, sector, count, const_cast<uint8_t*>(static_cast<const uint8_t*>(buffer)),
                    true);
}

nk_status flush_cache(Disk& disk) {
    Channel& channel = *disk.channel;
    if (!lock_channel(channel))
        return -NK_EIO;
    nk_status result = issue(
        channel, disk, disk.lba48 ? command::FLUSH_CACHE_EXT : command::FLUSH_CACHE, 0, 0, false);
    uint8_t status = 0;
    if (result == 0)
        result = wait_interrupt(channel, &status);
    if (result == 0 && (status & (status::ERR | status::DF)))
        result = -NK_EIO;
    if (result < 0)
        result = fail(disk, "FLUSH CACHE", result);
    unlock_channel(channel);
    return result;
}

} // namespace ata
