// What goes into a response head: reason phrases, media types by file name, and the head itself.
// Plain logic, also built into the host tests.
#pragma once

#include "text_buffer.h"

#include <nooks/types.h>

namespace khttpd {

const char* reason_phrase(int status);
// The media type for a file name's extension (application/octet-stream when unknown).
const char* media_type(const char* path);

struct ResponseHead {
    int status;
    const char* content_type; // null: no Content-Type
    uint64_t content_length;
    uint64_t last_modified; // 0: none
    bool ranged;            // a 206: Content-Range first-last/size
    uint64_t range_first, range_last, full_size;
    bool unsatisfiable; // a 416: Content-Range */full_size
    bool keep_alive;
    const char* location; // a redirect's target, or null
    const char* extra;    // further fields, each ending in CRLF, or null
};

// Status line and fields, and the empty line that ends them. `now`: seconds since 1970 for Date
// (0: no Date field — the machine has no clock).
void write_head(TextBuffer& out, const ResponseHead& head, uint64_t now);

} // namespace khttpd
