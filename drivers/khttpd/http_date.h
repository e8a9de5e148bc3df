// HTTP dates (RFC 9110 5.6.7, the IMF-fixdate form: "Sun, 06 Nov 1994 08:49:37 GMT") to and from
// seconds since 1970 (UTC). Plain logic, also built into the host tests.
#pragma once

#include <nooks/types.h>

namespace khttpd {

constexpr size_t HTTP_DATE_SIZE = 30; // 29 characters and the NUL

void format_http_date(uint64_t seconds, char (&out)[HTTP_DATE_SIZE]);
// 0 when `text` is not an IMF-fixdate (the obsolete forms are not taken: a server may ignore an
// If-Modified-Since it cannot read, and then sends the whole file).
uint64_t parse_http_date(const char* text);

} // namespace khttpd
