#include <kernel/pci/class_names.h>

namespace kernel::pci {

namespace {

struct ClassName {
    nk::u8 class_code;
    nk::u8 subclass;
    const char* name;
};

constexpr nk::u8 ANY_SUBCLASS = 0xff; // never a real subclass in the tables below

// Subclass names first; each base class ends with its ANY_SUBCLASS fallback.
constexpr ClassName NAMES[] = {
    {0x00, 0x00, "Non-VGA unclassified device"},
    {0x00, 0x01, "VGA compatible unclassified device"},
    {0x00, ANY_SUBCLASS, "Unclassified device"},
    {0x01, 0x00, "SCSI storage controller"},
    {0x01, 0x01, "IDE interface"},
    {0x01, 0x02, "Floppy disk controller"},
    {0x01, 0x04, "RAID bus controller"},
    {0x01, 0x05, "ATA controller"},
    {0x01, 0x06, "SATA controller"},
    {0x01, 0x07, "Serial Attached SCSI controller"},
    {0x01, 0x08, "Non-Volatile memory controller"},
    {0x01, ANY_SUBCLASS, "Mass storage controller"},
    {0x02, 0x00, "Ethernet controller"},
    {0x02, 0x80, "Network controller"},
    {0x02, ANY_SUBCLASS, "Network controller"},
    {0x03, 0x00, "VGA compatible controller"},
    {0x03, 0x01, "XGA compatible controller"},
    {0x03, 0x02, "3D controller"},
    {0x03, ANY_SUBCLASS, "Display controller"},
    {0x04, 0x00, "Multimedia video controller"},
    {0x04, 0x01, "Multimedia audio controller"},
    {0x04, 0x03, "Audio device"},
    {0x04, ANY_SUBCLASS, "Multimedia controller"},
    {0x05, 0x00, "RAM memory"},
    {0x05, ANY_SUBCLASS, "Memory controller"},
    {0x06, 0x00, "Host bridge"},
    {0x06, 0x01, "ISA bridge"},
    {0x06, 0x02, "EISA bridge"},
    {0x06, 0x04, "PCI bridge"},
    {0x06, 0x07, "CardBus bridge"},
    {0x06, 0x80, "Bridge"},
    {0x06, ANY_SUBCLASS, "Bridge"},
    {0x07, 0x00, "Serial controller"},
    {0x07, 0x01, "Parallel controller"},
    {0x07, ANY_SUBCLASS, "Communication controller"},
    {0x08, 0x00, "PIC"},
    {0x08, 0x01, "DMA controller"},
    {0x08, 0x02, "Timer"},
    {0x08, 0x03, "RTC"},
    {0x08, ANY_SUBCLASS, "System peripheral"},
    {0x09, ANY_SUBCLASS, "Input device controller"},
    {0x0c, 0x03, "USB controller"},
    {0x0c, 0x05, "SMBus"},
    {0x0c, ANY_SUBCLASS, "Serial bus controller"},
    {0x0d, ANY_SUBCLASS, "Wireless controller"},
    {0x10, ANY_SUBCLASS, "Encryption controller"},
    {0x11, ANY_SUBCLASS, "Signal processing controller"},
    {0x12, ANY_SUBCLASS, "Processing accelerators"},
    {0xff, ANY_SUBCLASS, "Unassigned class"},
};

} // namespace

const char* class_name(nk::u8 class_code, nk::u8 subclass) {
    const char* fallback = "Unknown class";
    for (const auto& entry : NAMES) {
        if (entry.class_code != class_code)
            continue;
        if (entry.subclass == subclass)
            return entry.name;
        if (entry.subclass == ANY_SUBCLASS)
            fallback = entry.name;
    }
    return fallback;
}

} // namespace kernel::pci
