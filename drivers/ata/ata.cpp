// ata: the IDE disk driver, an extension of the block class. It claims the PCI IDE function
// of the PIIX (QEMU's i440FX machine, Bochs), drives both channels in compatibility mode
// (legacy ports and ISA interrupts 14 and 15), identifies master and slave, and registers each
// disk as hda, hdb, hdc, hdd. Transfers use bus-master DMA when the device and controller allow
// it, PIO otherwise, or always with `ext load /lib/modules/ata.ko mode=pio`.
//
// init is the whole bring-up, reset included, so a restart after a crash starts from a device
// in a known state: the same code path as the first load.
#include "ata_channel.h"

#include <nooks/block.h>
#include <nooks/extension.h>
#include <nooks/kernel_api.h>
#include <nooks/support.h>

namespace {

using ata::Channel;
using ata::Disk;

// PIIX3 (QEMU, Bochs) and PIIX4 IDE functions.
struct KnownController {
    uint16_t vendor;
    uint16_t device;
};
constexpr KnownController CONTROLLERS[] = {{0x8086, 0x7010}, {0x8086, 0x7111}};

// Compatibility mode (PCI IDE Controller Specification 1.0, section 2): fixed ports and IRQs.
struct LegacyChannel {
    const char* name;
    uint16_t command_base;
    uint16_t control_base;
    unsigned irq;
};
constexpr LegacyChannel LEGACY[2] = {{"primary", 0x1f0, 0x3f6, 14},
                                     {"secondary", 0x170, 0x376, 15}};

nk_pci_device g_controller = nullptr;
Channel g_channels[2];

nk_status transfer(void* context, nooks_block_request* request) {
    Disk& disk = *static_cast<Disk*>(context);
    switch (request->operation) {
    case NOOKS_BLOCK_READ:
        return ata::read_sectors(disk, request->sector, request->count, request->buffer);
    case NOOKS_BLOCK_WRITE:
        return ata::write_sectors(disk, request->sector, request->count, request->buffer);
    case NOOKS_BLOCK_FLUSH:
        return ata::flush_cache(disk);
    default:
        return -NK_EINVAL;
    }
}

const nooks_block_ops g_ops = {transfer};

void ata_exit();

nk_status claim_controller() {
    for (const KnownController& known : CONTROLLERS) {
        if (nk_pci_claim(known.vendor, known.device, &g_controller) == 0)
            return 0;
    }
    return -NK_ENODEV;
}

nk_status ata_init() {
    for (Channel& channel : g_channels)
        channel = Channel{};
    g_controller = nullptr;
    char mode[8] = "dma";
    (void)nk_param("mode", mode, sizeof mode);
    bool want_dma = strcmp(mode, "pio") != 0;
    if (strcmp(mode, "pio") != 0 && strcmp(mode, "dma") != 0) {
        nk_log("mode=%s: expected pio or dma\n", mode);
        return -NK_EINVAL;
    }
    nk_status claimed = claim_controller();
    if (claimed < 0) {
        nk_log("no PIIX IDE controller found\n");
        return claimed;
    }
    nk_pci_enable(g_controller);
    // BAR4: the bus-master registers, 8 ports per channel (SFF 8038i 2).
    nk_pci_bar bar = {};
    uint16_t bus_master = 0;
    if (nk_pci_get_bar(g_controller, 4, &bar) == 0 && bar.is_io && bar.address && bar.size >= 16)
        bus_master = uint16_t(bar.address);
    unsigned disks = 0;
    for (unsigned index = 0; index < 2; ++index) {
        Channel& channel = g_channels[index];
        channel.name = LEGACY[index].name;
        channel.command_base = LEGACY[index].command_base;
        channel.control_base = LEGACY[index].control_base;
        channel.irq = LEGACY[index].irq;
        channel.bus_master_base = bus_master ? uint16_t(bus_master + 8 * index) : 0;
        channel.use_dma = want_dma;
        for (uint8_t unit = 0; unit < 2; ++unit) {
            Disk& disk = channel.disks[unit];
            disk.channel = &channel;
            disk.unit = unit;
            nk_snprintf(disk.name, sizeof disk.name, "hd%c", char('a' + 2 * index + unit));
        }
        nk_status started = ata::start_channel(channel);
        if (started < 0) {
            nk_log("%s channel: cannot start (%ld)\n", channel.name, started);
            ata_exit();
            return started;
        }
        for (Disk& disk : channel.disks) {
            if (!disk.present)
                continue;
            nooks_block_device_info info = {};
            nk_strlcpy(info.name, disk.name, sizeof info.name);
            info.sector_size = ata::SECTOR_SIZE;
            info.sector_count = disk.sectors;
            nk_status registered = nk_blkdev_register(&info, &g_ops, &disk, &disk.registration);
            if (registered < 0) {
                nk_log("%s: cannot register (%ld)\n", disk.name, registered);
                disk.present = false;
                continue;
            }
            nooks_block_window window = {};
            if (disk.dma && nk_blkdev_window(disk.registration, ata::WINDOW_BYTES, &window) == 0 &&
                window.bus_address + window.bytes <= (1ull << 32)) {
                disk.window = static_cast<uint8_t*>(window.buffer);
                disk.window_bus = window.bus_address;
                disk.window_bytes = window.bytes;
            }
            ++disks;
            nk_log("%s: %s, %lu sectors (%lu MiB)%s, %s\n", disk.name, disk.model,
                   static_cast<unsigned long>(disk.sectors),
                   static_cast<unsigned long>(disk.sectors / 2048), disk.lba48 ? ", LBA48" : "",
                   disk.dma ? "DMA" : "PIO");
        }
    }
    if (disks == 0)
        nk_log("no ATA disks\n");
    return 0;
}

void ata_exit() {
    for (Channel& channel : g_channels) {
        for (Disk& disk : channel.disks) {
            if (disk.registration)
                nk_blkdev_unregister(disk.registration);
            disk.registration = nullptr;
            disk.window = nullptr; // it went with the registration
        }
        ata::stop_channel(channel);
        channel = Channel{};
    }
    if (g_controller)
        nk_pci_release(g_controller);
    g_controller = nullptr;
}

} // namespace

NOOKS_MODULE("ata", NOOKS_CLASS_BLOCK, ata_init, ata_exit, &g_ops);
