// Parser for the Multiboot2 boot information (Multiboot2 specification 1.0, section 3.6
// "Boot information format"). The loader's data is not trusted: every tag is bounds-checked and a
// malformed structure gives Error::Corrupt instead of a wild read.
//
// The parser does not allocate: strings in the result point into the information buffer, which
// must stay mapped while they are used.
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace kernel {

// Magic value in EAX when a Multiboot2 loader enters the kernel (spec 3.3).
constexpr nk::u32 MULTIBOOT2_BOOTLOADER_MAGIC = 0x36d76289;

enum class MemoryType : nk::u32 {
    Available = 1,
    Reserved = 2,
    AcpiReclaimable = 3,
    AcpiNvs = 4,
    Defective = 5,
};

struct MemoryRegion {
    nk::u64 base;
    nk::u64 length;
    MemoryType type; // values other than the ones named are kept as they came (treat as reserved)
};

struct BootModule {
    nk::u32 start; // physical, inclusive
    nk::u32 end;   // physical, exclusive
    const char* command_line;
};

struct BootFramebuffer {
    nk::u64 address;
    nk::u32 pitch;
    nk::u32 width;
    nk::u32 height;
    nk::u8 bits_per_pixel;
    nk::u8 type; // 0 indexed, 1 RGB, 2 EGA text
};

struct BootInfo {
    static constexpr nk::usize MAX_MEMORY_REGIONS = 64;
    static constexpr nk::usize MAX_MODULES = 64;

    nk::u32 total_size;             // bytes of the information structure
    const char* command_line;       // "" when the tag is absent
    const char* bootloader_name;    // "" when the tag is absent
    nk::u32 basic_memory_lower_kib; // 0 when absent
    nk::u32 basic_memory_upper_kib; // 0 when absent
    MemoryRegion memory[MAX_MEMORY_REGIONS];
    nk::usize memory_count;
    bool memory_truncated; // more regions than MAX_MEMORY_REGIONS were given
    BootModule modules[MAX_MODULES];
    nk::usize module_count;
    bool modules_truncated;
    bool has_framebuffer;
    BootFramebuffer framebuffer;
    const void* acpi_rsdp; // the RSDP copy inside the info (tags 14/15), or nullptr
    nk::u32 acpi_rsdp_length;
};

// `info` is the structure GRUB passed (8-byte aligned); `available` is how many bytes may be read
// from it (the caller's mapping). Error::Corrupt when: the total size is smaller than the
// 8-byte header plus an end tag or larger than `available`; a tag is misaligned, shorter than
// 8 bytes or runs past the end; a string tag is not NUL-terminated inside its tag; a memory map
// tag's entry size is smaller than 24 or not a multiple of 8; a module's end is before its start;
// there is no end tag. Unknown tags are skipped.
nk::Result<BootInfo> parse_multiboot2(const void* info, nk::usize available);

// Sum of the lengths of the Available regions.
nk::u64 available_memory_bytes(const BootInfo& info);

} // namespace kernel
