// Multiboot2 boot information parser (Multiboot2 specification 1.0, section 3.6). Every read is
// checked against the bytes known to be readable: min(total_size, available) from `info`.
#include <kernel/boot/multiboot2.h>

namespace kernel {

using nk::Error;
using nk::Result;
using nk::u32;
using nk::u64;
using nk::u8;
using nk::usize;

namespace {

// Tag types, spec 3.6.2 to 3.6.12.
constexpr u32 TAG_END = 0;
constexpr u32 TAG_COMMAND_LINE = 1;
constexpr u32 TAG_BOOTLOADER_NAME = 2;
constexpr u32 TAG_MODULE = 3;
constexpr u32 TAG_BASIC_MEMORY = 4;
constexpr u32 TAG_MEMORY_MAP = 6;
constexpr u32 TAG_FRAMEBUFFER = 8;
constexpr u32 TAG_ACPI_OLD_RSDP = 14;
constexpr u32 TAG_ACPI_NEW_RSDP = 15;

// The fixed header (total_size u32, reserved u32) and every tag header (type u32, size u32)
// are 8 bytes; tags start 8-byte aligned (spec 3.6.1).
constexpr usize HEADER_SIZE = 8;
constexpr usize TAG_HEADER_SIZE = 8;
constexpr usize TAG_ALIGNMENT = 8;
constexpr usize END_TAG_SIZE = 8;

// Smallest tag sizes that hold the fields read below (spec 3.6.3 to 3.6.12).
constexpr u32 MODULE_STRING_OFFSET = 16;      // mod_start u32, mod_end u32, then the string
constexpr u32 BASIC_MEMORY_SIZE = 16;         // mem_lower u32, mem_upper u32
constexpr u32 MEMORY_MAP_ENTRIES_OFFSET = 16; // entry_size u32, entry_version u32, entries
constexpr u32 MEMORY_MAP_MIN_ENTRY = 24;      // base u64, length u64, type u32, reserved u32
constexpr u32 FRAMEBUFFER_MIN_SIZE = 30;      // addr u64, pitch, width, height u32, bpp, type u8
constexpr u32 RSDP_V1_SIZE = 20;              // ACPI 1.0 RSDP (ACPI spec 5.2.5.3)

// Fields are read by copy so that neither alignment nor aliasing rules depend on the loader.
template <typename T>
T read(const u8* at) {
    T value;
    __builtin_memcpy(&value, at, sizeof(T));
    return value;
}

// The NUL-terminated string at tag[begin..size), or nullptr if it has no NUL inside the tag.
const char* tag_string(const u8* tag, u32 begin, u32 size) {
    for (u32 i = begin; i < size; ++i) {
        if (tag[i] == 0)
            return reinterpret_cast<const char*>(tag + begin);
    }
    return nullptr;
}

Result<const char*> parse_string(const u8* tag, u32 size) {
    const char* text = tag_string(tag, TAG_HEADER_SIZE, size);
    if (!text)
        return Error::Corrupt;
    return text;
}

nk::ErrorOr parse_module(const u8* tag, u32 size, BootInfo& result) {
    if (size <= MODULE_STRING_OFFSET)
        return Error::Corrupt;
    u32 start = read<u32>(tag + 8);
    u32 end = read<u32>(tag + 12);
    const char* command_line = tag_string(tag, MODULE_STRING_OFFSET, size);
    if (end < start || !command_line)
        return Error::Corrupt;
    if (result.module_count == BootInfo::MAX_MODULES) {
        result.modules_truncated = true;
        return {};
    }
    result.modules[result.module_count++] = BootModule{start, end, command_line};
    return {};
}

nk::ErrorOr parse_memory_map(const u8* tag, u32 size, BootInfo& result) {
    if (size < MEMORY_MAP_ENTRIES_OFFSET)
        return Error::Corrupt;
    // entry_size may grow in later versions of the entry format but stays a multiple of 8
    // (spec 3.6.8); entry_version is not checked for the same reason.
    u32 entry_size = read<u32>(tag + 8);
    if (entry_size < MEMORY_MAP_MIN_ENTRY || entry_size % 8 != 0)
        return Error::Corrupt;
    // Only whole entries are read; a trailing fragment is ignored.
    for (u32 offset = MEMORY_MAP_ENTRIES_OFFSET; size - offset >= entry_size;
         offset += entry_size) {
        if (result.memory_count == BootInfo::MAX_MEMORY_REGIONS) {
            result.memory_truncated = true;
            break;
        }
        const u8* entry = tag + offset;
        result.memory[result.memory_count++] =
            MemoryRegion{read<u64>(entry), read<u64>(entry + 8), MemoryType(read<u32>(entry + 16))};
    }
    return {};
}

nk::ErrorOr parse_framebuffer(const u8* tag, u32 size, BootInfo& result) {
    if (size < FRAMEBUFFER_MIN_SIZE)
        return Error::Corrupt;
    result.has_framebuffer = true;
    result.framebuffer =
        BootFramebuffer{read<u64>(tag + 8),  read<u32>(tag + 16), read<u32>(tag + 20),
                        read<u32>(tag + 24), read<u8>(tag + 28),  read<u8>(tag + 29)};
    return {};
}

} // namespace

Result<BootInfo> parse_multiboot2(const void* info, usize available) {
    auto address = reinterpret_cast<nk::uptr>(info);
    if (!info || !nk::is_aligned(address, TAG_ALIGNMENT) || available < HEADER_SIZE + END_TAG_SIZE)
        return Error::Corrupt;
    const u8* base = static_cast<const u8*>(info);
    u32 total_size = read<u32>(base);
    if (total_size < HEADER_SIZE + END_TAG_SIZE || total_size > available)
        return Error::Corrupt;

    BootInfo result{};
    result.total_size = total_size;
    result.command_line = "";
    result.bootloader_name = "";
    bool have_new_rsdp = false;

    // Every tag starts at an 8-byte boundary relative to an 8-byte aligned base, so each header
    // is aligned; offset stays below total_size, so the arithmetic cannot overflow.
    usize offset = HEADER_SIZE;
    while (total_size - offset >= TAG_HEADER_SIZE) {
        const u8* tag = base + offset;
        u32 type = read<u32>(tag);
        u32 size = read<u32>(tag + 4);
        if (size < TAG_HEADER_SIZE || size > total_size - offset)
            return Error::Corrupt;

        switch (type) {
        case TAG_END:
            if (size != END_TAG_SIZE)
                return Error::Corrupt;
            return result;
        case TAG_COMMAND_LINE:
            result.command_line = TRY(parse_string(tag, size));
            break;
        case TAG_BOOTLOADER_NAME:
            result.bootloader_name = TRY(parse_string(tag, size));
            break;
        case TAG_MODULE:
            TRY(parse_module(tag, size, result));
            break;
        case TAG_BASIC_MEMORY:
            if (size < BASIC_MEMORY_SIZE)
                return Error::Corrupt;
            result.basic_memory_lower_kib = read<u32>(tag + 8);
            result.basic_memory_upper_kib = read<u32>(tag + 12);
            break;
        case TAG_MEMORY_MAP:
            TRY(parse_memory_map(tag, size, result));
            break;
        case TAG_FRAMEBUFFER:
            TRY(parse_framebuffer(tag, size, result));
            break;
        case TAG_ACPI_OLD_RSDP:
        case TAG_ACPI_NEW_RSDP:
            // Both carry a copy of the RSDP after the tag header (spec 3.6.11, 3.6.12). The
            // ACPI 2.0+ one wins when a loader gives both, whatever their order.
            if (size - TAG_HEADER_SIZE < RSDP_V1_SIZE)
                return Error::Corrupt;
            if (type == TAG_ACPI_NEW_RSDP || !have_new_rsdp) {
                result.acpi_rsdp = tag + TAG_HEADER_SIZE;
                result.acpi_rsdp_length = size - TAG_HEADER_SIZE;
                have_new_rsdp = have_new_rsdp || type == TAG_ACPI_NEW_RSDP;
            }
            break;
        default:
            // Tags this kernel does not use (ELF sections, EFI tables, ...) are skipped.
            break;
        }
        // Past the padding to the next 8-byte boundary; if that passes total_size, the loop
        // ends without an end tag.
        usize step = nk::align_up(size, TAG_ALIGNMENT);
        if (step > total_size - offset)
            break;
        offset += step;
    }
    return Error::Corrupt;
}

u64 available_memory_bytes(const BootInfo& info) {
    u64 total = 0;
    for (usize i = 0; i < info.memory_count; ++i) {
        if (info.memory[i].type != MemoryType::Available)
            continue;
        // Saturate rather than wrap on a hostile map.
        u64 length = info.memory[i].length;
        total = length > ~u64(0) - total ? ~u64(0) : total + length;
    }
    return total;
}

} // namespace kernel
