// IPv4 addresses and ports as programs take them on the command line ("10.0.2.2", "8080",
// "http://10.0.2.2:8000/path"). No name resolution: there is no DNS here.
#pragma once

#include <nk/types.h>

namespace user {

// "10.0.2.2" -> host byte order; false unless it is exactly a dotted quad.
bool parse_ipv4(const char* text, nk::u32* out);
// "8080" -> 8080; false unless it is a number from 1 to 65535.
bool parse_port(const char* text, nk::u16* out);
// "10.0.2.2" into `out` (16 bytes).
void format_ipv4(nk::u32 address, char* out);

} // namespace user
