// An HTTP/1.x request head (RFC 9112 message syntax, RFC 9110 semantics), parsed from the bytes
// a client sent: plain logic on a buffer, built into the module and into the host tests. Every
// size is bounded; whatever does not parse gets the status code the server answers with.
#pragma once

#include <nooks/file.h>
#include <nooks/types.h>

namespace khttpd {

// The request line alone (method, target, version).
constexpr size_t MAX_REQUEST_LINE = 2048;
// The request target as sent: longer is 414.
constexpr size_t MAX_TARGET = 1024;
// One header field line; the whole head (request line and fields): longer is 431.
constexpr size_t MAX_FIELD_LINE = 2048;
constexpr size_t MAX_HEAD = 8192;
// A request body the server will read and drop (GET and HEAD have no use for one); larger is 413.
constexpr uint64_t MAX_BODY = 64 * 1024;

enum class Method { Get, Head, Other };

struct ByteRange {
    // bytes=first-last, bytes=first- (last unset) or bytes=-suffix (suffix set).
    bool present = false;
    bool has_first = false;
    bool has_last = false;
    uint64_t first = 0;
    uint64_t last = 0;
    uint64_t suffix = 0;
};

struct Request {
    Method method = Method::Other;
    char method_name[16] = {};
    int minor_version = 1; // HTTP/1.minor
    // The path, percent-decoded, query and fragment removed; starts with '/'.
    char path[NK_FILE_PATH_MAX] = {};
    bool keep_alive = true;
    bool has_host = false;
    uint64_t content_length = 0;
    ByteRange range;
    uint64_t if_modified_since = 0; // seconds since 1970; 0 when absent or not a date
};

struct ParseResult {
    // 0: the head is not complete yet (read more); 200: a request; otherwise the status to
    // answer with (400, 403, 405, 413, 414, 431), after which the connection is closed.
    int status;
    // Bytes of the buffer the head took (when status is not 0).
    size_t consumed;
};

ParseResult parse_request(const char* data, size_t length, Request& out);

// The range a request asks of a `size`-byte file: 0 when it wants the whole file (no Range, or
// one the server ignores), 206 with [first, last] set, or 416 when no byte of it is in the file.
struct RangeAnswer {
    int status;
    uint64_t first;
    uint64_t last;
};
RangeAnswer resolve_range(const ByteRange& range, uint64_t size);

// Decodes %XX escapes of a path into `out` (size bytes). 0, or the status to answer: 400 for a
// bad escape, 403 for a path that is refused (a ".." segment, a backslash, an encoded '/' or a
// NUL), 414 when it does not fit.
int decode_path(const char* path, size_t length, char* out, size_t size);

} // namespace khttpd
