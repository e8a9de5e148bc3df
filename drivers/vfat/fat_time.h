// FAT timestamps: DOS date and time fields (specification, "Date and Time Formats"), taken as
// UTC, to and from seconds since 1970.
#pragma once

#include <nooks/types.h>

namespace vfat {

struct DosTime {
    uint16_t date; // bits 15-9 years since 1980, 8-5 month 1..12, 4-0 day 1..31
    uint16_t time; // bits 15-11 hours, 10-5 minutes, 4-0 seconds / 2
};

// Seconds since 1970 to a DOS timestamp, clamped to what FAT can say (1980-01-01 .. 2107-12-31).
DosTime to_dos_time(uint64_t seconds);
// A DOS timestamp to seconds since 1970; 0 when the date field is 0 (never set) or invalid.
uint64_t from_dos_time(uint16_t date, uint16_t time);

} // namespace vfat
