#include <nk_stdlib.h>
#include <stdio.h>
#include <userland/lib/net_address.h>

namespace user {

bool parse_ipv4(const char* text, nk::u32* out) {
    nk::u32 address = 0;
    for (int part = 0; part < 4; ++part) {
        if (*text < '0' || *text > '9')
            return false;
        const char* end = nullptr;
        nk::u64 value = nk::parse_unsigned(text, &end, 10);
        if (!end || end - text > 3 || value > 255)
            return false;
        address = (address << 8) | nk::u32(value);
        text = end;
        if (part < 3 && *text++ != '.')
            return false;
    }
    if (*text != 0)
        return false;
    *out = address;
    return true;
}

bool parse_port(const char* text, nk::u16* out) {
    if (*text < '0' || *text > '9')
        return false;
    const char* end = nullptr;
    nk::u64 value = nk::parse_unsigned(text, &end, 10);
    if (!end || *end != 0 || value == 0 || value > 65535)
        return false;
    *out = nk::u16(value);
    return true;
}

void format_ipv4(nk::u32 address, char* out) {
    snprintf(out, 16, "%u.%u.%u.%u", address >> 24, (address >> 16) & 0xff, (address >> 8) & 0xff,
             address & 0xff);
}

} // namespace user
