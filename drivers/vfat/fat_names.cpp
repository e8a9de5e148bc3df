// Names: UTF-8 <-> UTF-16, case folding, checks, and the 8.3 aliases of long names.
#include "fat_names.h"

#include <nooks/support.h>

namespace vfat {

namespace {

// Characters no FAT name may hold (specification, "FAT Long Directory Entries": the long name
// accepts everything a short name does plus + , ; = [ ] . and space; never these).
bool forbidden(uint32_t c) {
    if (c < 0x20)
        return true;
    switch (c) {
    case '/':
    case '\\':
    case ':':
    case '*':
    case '?':
    case '"':
    case '<':
    case '>':
    case '|':
        return true;
    default:
        return false;
    }
}

// One code point from UTF-8 at s[*at] (s holds `length` bytes); -1 when malformed (overlong
// forms, encoded surrogates and values past U+10FFFF included).
int32_t decode_utf8(const uint8_t* s, size_t length, size_t* at) {
    uint8_t lead = s[*at];
    uint32_t extra;
    uint32_t value;
    uint32_t minimum;
    if (lead < 0x80) {
        *at += 1;
        return lead;
    } else if ((lead & 0xE0) == 0xC0) {
        extra = 1;
        value = lead & 0x1F;
        minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        extra = 2;
        value = lead & 0x0F;
        minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        extra = 3;
        value = lead & 0x07;
        minimum = 0x10000;
    } else {
        return -1;
    }
    if (*at + extra >= length)
        return -1;
    for (uint32_t i = 1; i <= extra; ++i) {
        uint8_t next = s[*at + i];
        if ((next & 0xC0) != 0x80)
            return -1;
        value = (value << 6) | (next & 0x3F);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return -1;
    *at += extra + 1;
    return int32_t(value);
}

// The UTF-8 bytes of one code point into bytes[]; returns their count.
size_t encode_utf8(uint32_t c, uint8_t* bytes) {
    if (c < 0x80) {
        bytes[0] = uint8_t(c);
        return 1;
    }
    if (c < 0x800) {
        bytes[0] = uint8_t(0xC0 | (c >> 6));
        bytes[1] = uint8_t(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        bytes[0] = uint8_t(0xE0 | (c >> 12));
        bytes[1] = uint8_t(0x80 | ((c >> 6) & 0x3F));
        bytes[2] = uint8_t(0x80 | (c & 0x3F));
        return 3;
    }
    bytes[0] = uint8_t(0xF0 | (c >> 18));
    bytes[1] = uint8_t(0x80 | ((c >> 12) & 0x3F));
    bytes[2] = uint8_t(0x80 | ((c >> 6) & 0x3F));
    bytes[3] = uint8_t(0x80 | (c & 0x3F));
    return 4;
}

// What a short name may hold besides upper-case letters and digits (specification, "Directory
// Structure", DIR_Name: the characters a short name may not contain are " * + , . / : ; < = > ?
// [ \ ] | and those below 0x20; bytes above 0x7F are OEM code-page characters, which this code
// never writes because it does not know the volume's code page).
bool short_name_char(uint16_t c) {
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '$':
    case '%':
    case '\'':
    case '-':
    case '_':
    case '@':
    case '~':
    case '`':
    case '!':
    case '(':
    case ')':
    case '{':
    case '}':
    case '^':
    case '#':
    case '&':
        return true;
    default:
        return false;
    }
}

bool lower_ascii(uint16_t c) {
    return c >= 'a' && c <= 'z';
}
bool upper_ascii(uint16_t c) {
    return c >= 'A' && c <= 'Z';
}

} // namespace

nk_status parse_name(const char* utf8, size_t limit, uint16_t* out, uint32_t* length) {
    size_t bytes = strnlen(utf8, limit);
    if (bytes == limit)
        return -NK_ENAMETOOLONG;
    if (bytes == 0 || strcmp(utf8, ".") == 0 || strcmp(utf8, "..") == 0)
        return -NK_EINVAL;
    const uint8_t* s = reinterpret_cast<const uint8_t*>(utf8);
    uint32_t count = 0;
    size_t at = 0;
    while (at < bytes) {
        int32_t c = decode_utf8(s, bytes, &at);
        if (c < 0 || forbidden(uint32_t(c)))
            return -NK_EINVAL;
        uint32_t units = c >= 0x10000 ? 2 : 1;
        if (count + units > LONG_NAME_MAX)
            return -NK_ENAMETOOLONG;
        if (units == 2) {
            uint32_t v = uint32_t(c) - 0x10000;
            out[count++] = uint16_t(0xD800 | (v >> 10));
            out[count++] = uint16_t(0xDC00 | (v & 0x3FF));
        } else {
            out[count++] = uint16_t(c);
        }
    }
    // Windows drops trailing spaces and dots from every name it is given; doing the same keeps
    // "name." and "name" the same file, as on Windows.
    while (count > 0 && (out[count - 1] == ' ' || out[count - 1] == '.'))
        --count;
    if (count == 0)
        return -NK_EINVAL;
    *length = count;
    return 0;
}

size_t to_utf8(const uint16_t* name, uint32_t length, char* out, size_t size) {
    size_t needed = 0;
    size_t written = 0;
    bool cut = false;
    for (uint32_t i = 0; i < length; ++i) {
        uint32_t c = name[i];
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < length && name[i + 1] >= 0xDC00 &&
            name[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (name[i + 1] - 0xDC00u);
            ++i;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
        }
        uint8_t bytes[4];
        size_t count = encode_utf8(c, bytes);
        needed += count;
        // A character is written whole or not at all, so a cut name stays valid UTF-8.
        if (!cut && written + count < size) {
            memcpy(out + written, bytes, count);
            written += count;
        } else {
            cut = true;
        }
    }
    if (size > 0)
        out[written] = 0;
    return needed;
}

uint16_t fold(uint16_t c) {
    if (c < 0x80)
        return lower_ascii(c) ? uint16_t(c - 0x20) : c;
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
        return uint16_t(c - 0x20);
    if (c == 0xFF)
        return 0x178;
    if (c >= 0x100 && c <= 0x17F) {
        // Latin Extended-A: capital/small pairs, capital first; the pairs shift by one at 0x139
        // and 0x179. 0x130, 0x131, 0x138, 0x149 and 0x17F have no simple pair.
        if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F)
            return c;
        bool odd_small = (c < 0x138) || (c >= 0x14A && c < 0x178);
        if (odd_small)
            return (c & 1) ? uint16_t(c - 1) : c;
        return (c & 1) ? c : uint16_t(c - 1);
    }
    if (c >= 0x3B1 && c <= 0x3C9)
        return c == 0x3C2 ? uint16_t(0x3A3) : uint16_t(c - 0x20);
    if (c >= 0x430 && c <= 0x44F)
        return uint16_t(c - 0x20);
    if (c >= 0x450 && c <= 0x45F)
        return uint16_t(c - 0x50);
    return c;
}

bool same_name(const uint16_t* a, uint32_t a_length, const uint16_t* b, uint32_t b_length) {
    if (a_length != b_length)
        return false;
    for (uint32_t i = 0; i < a_length; ++i) {
        if (a[i] != b[i] && fold(a[i]) != fold(b[i]))
            return false;
    }
    return true;
}

uint8_t short_name_checksum(const uint8_t name[11]) {
    // Specification, "FAT Long Directory Entries": an unsigned byte rotate right and add.
    uint8_t sum = 0;
    for (int i = 0; i < 11; ++i)
        sum = uint8_t(((sum & 1) ? 0x80 : 0) + (sum >> 1) + name[i]);
    return sum;
}

void make_basis(const uint16_t* name, uint32_t length, ShortName* out) {
    memset(out->name, ' ', sizeof out->name);
    bool lossy = false;
    // Steps 3 and 4: no spaces at all, no leading periods.
    uint32_t start = 0;
    while (start < length && (name[start] == ' ' || name[start] == '.'))
        ++start;
    int32_t last_period = -1;
    for (uint32_t i = start; i < length; ++i) {
        if (name[i] == '.')
            last_period = int32_t(i);
    }
    // Step 5: the primary part, up to the first period, at most 8 characters.
    uint32_t primary = 0;
    for (uint32_t i = start; i < length && name[i] != '.' && primary < 8; ++i) {
        if (name[i] == ' ')
            continue;
        uint16_t c = fold(name[i]);
        if (!short_name_char(c)) {
            c = '_';
            lossy = true;
        }
        out->name[primary++] = uint8_t(c);
    }
    if (primary == 0) {
        out->name[primary++] = '_';
        lossy = true;
    }
    // Step 7: the extension, from after the last period, at most 3 characters.
    uint32_t extension = 0;
    if (last_period >= 0) {
        for (uint32_t i = uint32_t(last_period) + 1; i < length && extension < 3; ++i) {
            if (name[i] == ' ')
                continue;
            uint16_t c = fold(name[i]);
            if (!short_name_char(c)) {
                c = '_';
                lossy = true;
            }
            out->name[8 + extension++] = uint8_t(c);
        }
    }
    // The long name is an 8.3 name when the basis says it exactly, but for case.
    uint16_t text[12];
    uint32_t text_length = short_name_text(out->name, 0, text);
    bool fits = !lossy && text_length == length;
    for (uint32_t i = 0; fits && i < length; ++i)
        fits = fold(name[i]) == text[i];
    out->needs_tail = !fits;
    out->case_bits = 0;
    out->needs_long = !fits;
    if (fits) {
        // Windows NT records an all-lower-case base or extension in byte 12 instead of long
        // entries; a mixed-case part needs the long entries.
        bool base_lower = false, base_upper = false, ext_lower = false, ext_upper = false;
        bool in_extension = false;
        for (uint32_t i = 0; i < length; ++i) {
            if (name[i] == '.') {
                in_extension = true;
                continue;
            }
            bool& lower = in_extension ? ext_lower : base_lower;
            bool& upper = in_extension ? ext_upper : base_upper;
            lower = lower || lower_ascii(name[i]);
            upper = upper || upper_ascii(name[i]);
        }
        if ((base_lower && base_upper) || (ext_lower && ext_upper))
            out->needs_long = true;
        else
            out->case_bits = uint8_t((base_lower ? 0x08 : 0) | (ext_lower ? 0x10 : 0));
    }
}

void apply_tail(const uint8_t basis[11], uint32_t n, uint8_t out[11]) {
    char digits[8];
    int count = 0;
    do {
        digits[count++] = char('0' + n % 10);
        n /= 10;
    } while (n && count < 6);
    uint32_t primary = 0;
    while (primary < 8 && basis[primary] != ' ')
        ++primary;
    uint32_t keep = 8 - 1 - uint32_t(count);
    if (primary < keep)
        keep = primary;
    memset(out, ' ', 11);
    memcpy(out, basis, keep);
    out[keep] = '~';
    for (int i = 0; i < count; ++i)
        out[keep + 1 + i] = uint8_t(digits[count - 1 - i]);
    memcpy(out + 8, basis + 8, 3);
}

uint32_t tail_of(const uint8_t existing[11], const uint8_t basis[11]) {
    int tilde = -1;
    for (int i = 0; i < 8; ++i) {
        if (existing[i] == '~')
            tilde = i;
    }
    if (tilde < 0)
        return 0;
    uint32_t n = 0;
    int i = tilde + 1;
    for (; i < 8 && existing[i] >= '0' && existing[i] <= '9'; ++i)
        n = n * 10 + (existing[i] - '0');
    if (i == tilde + 1 || n == 0 || existing[tilde + 1] == '0')
        return 0;
    uint8_t candidate[11];
    apply_tail(basis, n, candidate);
    return memcmp(candidate, existing, 11) == 0 ? n : 0;
}

uint32_t short_name_text(const uint8_t name[11], uint8_t case_bits, uint16_t* out) {
    uint32_t length = 0;
    int base_end = 8;
    while (base_end > 0 && name[base_end - 1] == ' ')
        --base_end;
    int ext_end = 11;
    while (ext_end > 8 && name[ext_end - 1] == ' ')
        --ext_end;
    for (int i = 0; i < base_end; ++i) {
        uint16_t c = name[i];
        if (i == 0 && c == 0x05)
            c = 0xE5;
        if ((case_bits & 0x08) && upper_ascii(c))
            c = uint16_t(c + 0x20);
        out[length++] = c;
    }
    if (ext_end > 8) {
        out[length++] = '.';
        for (int i = 8; i < ext_end; ++i) {
            uint16_t c = name[i];
            if ((case_bits & 0x10) && upper_ascii(c))
                c = uint16_t(c + 0x20);
            out[length++] = c;
        }
    }
    return length;
}

bool is_dot_name(const uint8_t name[11]) {
    return memcmp(name, ".          ", 11) == 0 || memcmp(name, "..         ", 11) == 0;
}

} // namespace vfat
