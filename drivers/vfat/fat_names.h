// Names on a FAT volume: the UTF-8 names of the fs class, the UTF-16 long names of VFAT, and
// the 8.3 short names (with the aliases Windows generates for long names).
#pragma once

#include <nooks/types.h>

namespace vfat {

// The longest long name, in UTF-16 units (Microsoft's FAT specification, "FAT Long Directory
// Entries": 255 characters, 13 per long entry, so at most 20 long entries).
constexpr uint32_t LONG_NAME_MAX = 255;
constexpr uint32_t LONG_ENTRIES_MAX = 20;

// A name given by the caller, decoded and checked: NUL-terminated UTF-8 in `utf8` (at most
// `limit` bytes are read) into UTF-16 `out` (LONG_NAME_MAX units) and its length. Trailing
// spaces and dots are stripped, as Windows does (so "a.txt." names "a.txt"). -NK_EINVAL for an
// empty name, "." or "..", malformed UTF-8, control characters or any of / \ : * ? " < > |;
// -NK_ENAMETOOLONG past LONG_NAME_MAX units or when `utf8` is not terminated within `limit`.
nk_status parse_name(const char* utf8, size_t limit, uint16_t* out, uint32_t* length);

// UTF-16 to UTF-8 (lone surrogates become U+FFFD) into `out` of `size` bytes, terminated.
// Returns the length the whole name needs (without the terminator): >= size means it was cut.
size_t to_utf8(const uint16_t* name, uint32_t length, char* out, size_t size);

// Case folding for comparisons: ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic letters to
// upper case (what FAT's case-insensitive names need for the usual scripts; other characters
// compare exactly).
uint16_t fold(uint16_t unit);
bool same_name(const uint16_t* a, uint32_t a_length, const uint16_t* b, uint32_t b_length);

// The checksum of an 11-byte short name that every long entry of its set carries
// (specification, "FAT Long Directory Entries": ChkSum).
uint8_t short_name_checksum(const uint8_t name[11]);

// The short-name basis of a long name and what it needs (specification, "The Basis-Name
// Generation Algorithm").
struct ShortName {
    uint8_t name[11];  // space padded, upper case
    bool needs_tail;   // lossy, or the long name is not an 8.3 name: "~N" must be added
    bool needs_long;   // long entries are needed (the short name cannot say the name)
    uint8_t case_bits; // NT flags for byte 12: 0x08 base lower case, 0x10 extension lower case
};
void make_basis(const uint16_t* name, uint32_t length, ShortName* out);

// `basis` with the numeric tail "~n" (specification, "The Numeric-Tail Generation Algorithm"):
// the primary part cut so that it and the tail fit in 8 characters. n in 1..999999.
void apply_tail(const uint8_t basis[11], uint32_t n, uint8_t out[11]);
// n when `existing` is apply_tail(basis, n) for some n, else 0.
uint32_t tail_of(const uint8_t existing[11], const uint8_t basis[11]);

// The name a short entry stands for ("NAME.EXT"), as UTF-16; base and extension in lower case
// when `case_bits` says so. 0x05 in the first byte stands for 0xE5; bytes past 0x7F are taken as
// Latin-1 (the code page is not known). Returns the length (at most 12).
uint32_t short_name_text(const uint8_t name[11], uint8_t case_bits, uint16_t* out);

// Whether a short entry's name is "." or "..".
bool is_dot_name(const uint8_t name[11]);

} // namespace vfat
