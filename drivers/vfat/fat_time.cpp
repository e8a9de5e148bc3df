// DOS timestamps <-> seconds since 1970, by the proleptic Gregorian calendar in whole days.
#include "fat_time.h"

namespace vfat {

namespace {

constexpr uint64_t DAY = 86400;

// Days from 1970-01-01 to year/month/day (year >= 1970).
uint64_t days_from_civil(uint32_t year, uint32_t month, uint32_t day) {
    // Years counted from March, so the leap day is the last day of the year.
    uint32_t y = month <= 2 ? year - 1 : year;
    uint32_t era = y / 400;
    uint32_t year_of_era = y - era * 400;
    uint32_t shifted_month = month > 2 ? month - 3 : month + 9;
    uint32_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    uint32_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return uint64_t(era) * 146097 + day_of_era - 719468;
}

void civil_from_days(uint64_t days, uint32_t* year, uint32_t* month, uint32_t* day) {
    uint64_t z = days + 719468;
    uint64_t era = z / 146097;
    uint32_t day_of_era = uint32_t(z - era * 146097);
    uint32_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    uint32_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    uint32_t shifted_month = (5 * day_of_year + 2) / 153;
    *day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    *month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
    *year = uint32_t(year_of_era + era * 400) + (*month <= 2 ? 1 : 0);
}

} // namespace

DosTime to_dos_time(uint64_t seconds) {
    uint64_t first = days_from_civil(1980, 1, 1) * DAY;
    uint64_t last = days_from_civil(2107, 12, 31) * DAY + DAY - 2;
    if (seconds < first)
        seconds = first;
    if (seconds > last)
        seconds = last;
    uint32_t year, month, day;
    civil_from_days(seconds / DAY, &year, &month, &day);
    uint32_t in_day = uint32_t(seconds % DAY);
    DosTime out;
    out.date = uint16_t(((year - 1980) << 9) | (month << 5) | day);
    out.time =
        uint16_t(((in_day / 3600) << 11) | (((in_day / 60) % 60) << 5) | ((in_day % 60) / 2));
    return out;
}

uint64_t from_dos_time(uint16_t date, uint16_t time) {
    uint32_t year = 1980 + (date >> 9);
    uint32_t month = (date >> 5) & 0x0F;
    uint32_t day = date & 0x1F;
    if (date == 0 || month < 1 || month > 12 || day < 1)
        return 0;
    uint32_t hours = time >> 11;
    uint32_t minutes = (time >> 5) & 0x3F;
    uint32_t seconds = (time & 0x1F) * 2;
    if (hours > 23 || minutes > 59 || seconds > 59)
        hours = minutes = seconds = 0;
    return days_from_civil(year, month, day) * DAY + hours * 3600 + minutes * 60 + seconds;
}

} // namespace vfat
