#include <arch/x86/cpu.h>
#include <arch/x86/rtc.h>

namespace x86::rtc {

namespace {
constexpr nk::u16 INDEX = 0x70;
constexpr nk::u16 DATA = 0x71;
// Bit 7 of the index port disables NMIs from the chipset while the CMOS is addressed.
constexpr nk::u8 NMI_DISABLE = 0x80;
constexpr nk::u8 REGISTER_A = 0x0a;
constexpr nk::u8 REGISTER_B = 0x0b;
constexpr nk::u8 REGISTER_C = 0x0c;
constexpr nk::u8 B_PERIODIC_INTERRUPT = 0x40;

nk::u8 read(nk::u8 index) {
    outb(INDEX, NMI_DISABLE | index);
    return inb(DATA);
}

void write(nk::u8 index, nk::u8 value) {
    outb(INDEX, NMI_DISABLE | index);
    outb(DATA, value);
}
} // namespace

void start_periodic(unsigned rate) {
    InterruptGuard guard;
    write(REGISTER_A, nk::u8((read(REGISTER_A) & 0xf0) | (rate & 0x0f)));
    write(REGISTER_B, read(REGISTER_B) | B_PERIODIC_INTERRUPT);
    (void)read(REGISTER_C);
    outb(INDEX, REGISTER_C); // leave NMIs enabled
}

namespace {
constexpr nk::u8 A_UPDATE_IN_PROGRESS = 0x80;
constexpr nk::u8 B_BINARY = 0x04; // values in binary rather than BCD
constexpr nk::u8 B_24_HOUR = 0x02;

struct DateTime {
    nk::u8 second, minute, hour, day, month, year, century;
    bool operator==(const DateTime&) const = default;
};

DateTime read_date_time() {
    // MC146818 datasheet: the time registers are stable while UIP is clear.
    for (int i = 0; i < 100000 && (read(REGISTER_A) & A_UPDATE_IN_PROGRESS); ++i) {
    }
    // CMOS 0x32: the century byte most BIOSes (QEMU's and Bochs' included) keep.
    return {read(0x00), read(0x02), read(0x04), read(0x07), read(0x08), read(0x09), read(0x32)};
}

nk::u8 from_bcd(nk::u8 value) {
    return nk::u8((value >> 4) * 10 + (value & 0x0f));
}

// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
nk::i64 days_from_civil(nk::i64 year, unsigned month, unsigned day) {
    year -= month <= 2;
    nk::i64 era = (year >= 0 ? year : year - 399) / 400;
    unsigned year_of_era = unsigned(year - era * 400);
    unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + nk::i64(day_of_era) - 719468;
}
} // namespace

nk::u64 read_epoch_seconds() {
    DateTime now;
    nk::u8 format;
    {
        InterruptGuard guard;
        // Read until two reads agree: an update may still slip in between UIP and the reads.
        DateTime again = read_date_time();
        do {
            now = again;
            again = read_date_time();
        } while (!(now == again));
        format = read(REGISTER_B);
        outb(INDEX, REGISTER_C);
    }
    bool pm = now.hour & 0x80;
    now.hour &= 0x7f;
    if (!(format & B_BINARY)) {
        now.second = from_bcd(now.second);
        now.minute = from_bcd(now.minute);
        now.hour = from_bcd(now.hour);
        now.day = from_bcd(now.day);
        now.month = from_bcd(now.month);
        now.year = from_bcd(now.year);
        now.century = from_bcd(now.century);
    }
    if (!(format & B_24_HOUR) && pm)
        now.hour = nk::u8((now.hour % 12) + 12);
    unsigned century = now.century >= 19 && now.century <= 30 ? now.century : 20;
    if (now.month < 1 || now.month > 12 || now.day < 1 || now.day > 31 || now.hour > 23 ||
        now.minute > 59 || now.second > 59)
        return 0; // a clock that makes no sense: no time rather than a wrong one
    nk::i64 days = days_from_civil(nk::i64(century) * 100 + now.year, now.month, now.day);
    if (days < 0)
        return 0;
    return nk::u64(days) * 86400 + now.hour * 3600u + now.minute * 60u + now.second;
}

void acknowledge() {
    (void)read(REGISTER_C);
    outb(INDEX, REGISTER_C);
}

} // namespace x86::rtc
