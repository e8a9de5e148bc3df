// Integer parsing with strtol/strtoul semantics, the logic behind <stdlib.h>. The kernel's
// C-named wrappers live in stdlib.cpp.
#pragma once

#include <nk/types.h>

namespace nk {

// Both accept leading white space, an optional sign and, for base 0 or 16, a "0x"/"0X" prefix;
// base 0 picks 16, 8 (leading "0") or 10 from the prefix. Bases other than 0 and 2..36 parse
// nothing. *end (if end is non-null) is set past the last digit, or to text when there is none.
// Out-of-range values clamp (to INT64_MIN/INT64_MAX, or UINT64_MAX); unlike the C functions no
// error is recorded anywhere, since there is no errno.
i64 parse_signed(const char* text, const char** end, int base);
// As strtoul: a leading '-' negates the result in unsigned arithmetic ("-1" is UINT64_MAX).
u64 parse_unsigned(const char* text, const char** end, int base);

} // namespace nk
