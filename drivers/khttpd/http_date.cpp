#include "http_date.h"

#include <nooks/support.h>

namespace khttpd {

namespace {

const char* const DAYS[7] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"}; // 1970-01-01: Thu
const char* const MONTHS[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool is_leap(uint64_t year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned days_in_month(uint64_t year, unsigned month) { // month 0..11
    static const unsigned DAYS_IN[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return DAYS_IN[month] + (month == 1 && is_leap(year) ? 1 : 0);
}

bool two_digits(const char* text, unsigned& out) {
    if (text[0] < '0' || text[0] > '9' || text[1] < '0' || text[1] > '9')
        return false;
    out = unsigned(text[0] - '0') * 10 + unsigned(text[1] - '0');
    return true;
}

} // namespace

void format_http_date(uint64_t seconds, char (&out)[HTTP_DATE_SIZE]) {
    uint64_t days = seconds / 86400;
    unsigned second_of_day = unsigned(seconds % 86400);
    const char* weekday = DAYS[days % 7];
    uint64_t year = 1970;
    while (days >= (is_leap(year) ? 366u : 365u)) {
        days -= is_leap(year) ? 366 : 365;
        ++year;
    }
    unsigned month = 0;
    while (days >= days_in_month(year, month)) {
        days -= days_in_month(year, month);
        ++month;
    }
    nk_snprintf(out, sizeof out, "%s, %02u %s %04u %02u:%02u:%02u GMT", weekday, unsigned(days + 1),
                MONTHS[month], unsigned(year % 10000), second_of_day / 3600,
                second_of_day / 60 % 60, second_of_day % 60);
}

uint64_t parse_http_date(const char* text) {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    if (strlen(text) != 29 || text[3] != ',' || text[4] != ' ' || text[7] != ' ' ||
        text[11] != ' ' || text[16] != ' ' || text[19] != ':' || text[22] != ':' ||
        strcmp(text + 25, " GMT") != 0)
        return 0;
    unsigned day, hour, minute, second, century, year_in_century;
    if (!two_digits(text + 5, day) || !two_digits(text + 12, century) ||
        !two_digits(text + 14, year_in_century) || !two_digits(text + 17, hour) ||
        !two_digits(text + 20, minute) || !two_digits(text + 23, second))
        return 0;
    unsigned month = 12;
    for (unsigned i = 0; i < 12; ++i) {
        if (memcmp(text + 8, MONTHS[i], 3) == 0)
            month = i;
    }
    uint64_t year = century * 100 + year_in_century;
    if (month == 12 || year < 1970 || day == 0 || day > days_in_month(year, month) || hour > 23 ||
        minute > 59 || second > 60)
        return 0;
    uint64_t days = 0;
    for (uint64_t y = 1970; y < year; ++y)
        days += is_leap(y) ? 366 : 365;
    for (unsigned m = 0; m < month; ++m)
        days += days_in_month(year, m);
    days += day - 1;
    return days * 86400 + hour * 3600 + minute * 60 + second;
}

} // namespace khttpd
