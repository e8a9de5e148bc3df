#include "http_request.h"

#include "http_date.h"

#include <nooks/support.h>

namespace khttpd {

namespace {

bool is_token_char(char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? char(c + ('a' - 'A')) : c;
}

bool equals_ignoring_case(const char* a, size_t a_length, const char* b) {
    size_t b_length = strlen(b);
    if (a_length != b_length)
        return false;
    for (size_t i = 0; i < a_length; ++i) {
        if (lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

// Whether the comma-separated list [value, value+length) has `token` (any case).
bool list_has(const char* value, size_t length, const char* token) {
    size_t at = 0;
    while (at < length) {
        while (at < length && (value[at] == ' ' || value[at] == '\t' || value[at] == ','))
            ++at;
        size_t start = at;
        while (at < length && value[at] != ',')
            ++at;
        size_t end = at;
        while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
            --end;
        if (end > start && equals_ignoring_case(value + start, end - start, token))
            return true;
    }
    return false;
}

// Decimal digits only, no overflow.
bool parse_number(const char* text, size_t length, uint64_t& out) {
    if (length == 0 || length > 19)
        return false;
    uint64_t value = 0;
    for (size_t i = 0; i < length; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        value = value * 10 + uint64_t(text[i] - '0');
    }
    out = value;
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

// "bytes=..." with exactly one range; anything else is ignored (RFC 9110 14.2: a server may
// ignore a Range it does not understand, or a list of ranges, and send the whole file).
ByteRange parse_range(const char* value, size_t length) {
    ByteRange range;
    const char* prefix = "bytes=";
    if (length < 6 || !equals_ignoring_case(value, 6, prefix))
        return range;
    value += 6;
    length -= 6;
    if (memchr(value, ',', length))
        return range;
    const char* dash = static_cast<const char*>(memchr(value, '-', length));
    if (!dash)
        return range;
    size_t first_length = size_t(dash - value);
    size_t last_length = length - first_length - 1;
    if (first_length == 0) {
        if (!parse_number(dash + 1, last_length, range.suffix))
            return range;
        range.present = true;
        return range;
    }
    if (!parse_number(value, first_length, range.first))
        return range;
    range.has_first = true;
    if (last_length) {
        if (!parse_number(dash + 1, last_length, range.last) || range.last < range.first)
            return ByteRange{};
        range.has_last = true;
    }
    range.present = true;
    return range;
}

} // namespace

int decode_path(const char* path, size_t length, char* out, size_t size) {
    size_t used = 0;
    for (size_t i = 0; i < length; ++i) {
        char c = path[i];
        if (c == '%') {
            if (i + 2 >= length)
                return 400;
            int high = hex_value(path[i + 1]);
            int low = hex_value(path[i + 2]);
            if (high < 0 || low < 0)
                return 400;
            c = char(high * 16 + low);
            i += 2;
            // An encoded '/' would name a different path than the one sent; a NUL would cut it.
            if (c == '/' || c == 0)
                return 403;
        }
        if (c == '\\')
            return 403;
        if (used + 1 >= size)
            return 414;
        out[used++] = c;
    }
    out[used] = 0;
    // No segment may climb: "..", whether it was sent plainly or encoded.
    for (const char* segment = out; *segment;) {
        while (*segment == '/')
            ++segment;
        const char* end = segment;
        while (*end && *end != '/')
            ++end;
        if (end - segment == 2 && segment[0] == '.' && segment[1] == '.')
            return 403;
        segment = end;
    }
    return 0;
}

ParseResult parse_request(const char* data, size_t length, Request& out) {
    out = Request{};
    // The end of the head: an empty line. (RFC 9112 2.2: a recipient may take a bare LF as a
    // line end.)
    size_t head_end = 0;
    size_t line_end_of_first = 0;
    for (size_t i = 0; i < length; ++i) {
        if (data[i] != '\n')
            continue;
        if (!line_end_of_first)
            line_end_of_first = i + 1;
        if (i + 1 < length && data[i + 1] == '\n') {
            head_end = i + 2;
            break;
        }
        if (i + 2 < length && data[i + 1] == '\r' && data[i + 2] == '\n') {
            head_end = i + 3;
            break;
        }
    }
    if (!line_end_of_first) {
        if (length > MAX_REQUEST_LINE)
            return {414, length};
        return {0, 0};
    }
    if (line_end_of_first > MAX_REQUEST_LINE)
        return {414, length};
    if (!head_end)
        return length >= MAX_HEAD ? ParseResult{431, length} : ParseResult{0, 0};
    if (head_end > MAX_HEAD)
        return {431, head_end};
    ParseResult bad = {400, head_end};

    // Request line: method SP request-target SP HTTP-version.
    size_t line_length = line_end_of_first - 1;
    if (line_length && data[line_length - 1] == '\r')
        --line_length;
    const char* line = data;
    const char* space = static_cast<const char*>(memchr(line, ' ', line_length));
    if (!space || space == line || size_t(space - line) >= sizeof out.method_name)
        return bad;
    size_t method_length = size_t(space - line);
    for (size_t i = 0; i < method_length; ++i) {
        if (!is_token_char(line[i]))
            return bad;
    }
    memcpy(out.method_name, line, method_length);
    out.method_name[method_length] = 0;
    if (strcmp(out.method_name, "GET") == 0)
        out.method = Method::Get;
    else if (strcmp(out.method_name, "HEAD") == 0)
        out.method = Method::Head;
    const char* target = space + 1;
    const char* target_end =
        static_cast<const char*>(memchr(target, ' ', line_length - size_t(target - line)));
    if (!target_end || target_end == target)
        return bad;
    size_t target_length = size_t(target_end - target);
    if (target_length > MAX_TARGET)
        return {414, head_end};
    const char* version = target_end + 1;
    size_t version_length = line_length - size_t(version - line);
    if (version_length != 8 || memcmp(version, "HTTP/1.", 7) != 0 ||
        (version[7] != '0' && version[7] != '1'))
        return bad;
    out.minor_version = version[7] - '0';
    out.keep_alive = out.minor_version == 1;
    for (size_t i = 0; i < target_length; ++i) {
        if ((unsigned char)target[i] <= ' ' || (unsigned char)target[i] >= 0x7f)
            return bad;
    }
    // Origin form "/path?query"; an absolute form "http://host/path" is taken for its path.
    if (target_length > 7 && equals_ignoring_case(target, 7, "http://")) {
        // The authority ends at the first '/', '?' or '#'; only a '/' there starts the path.
        size_t path_start = 7;
        while (path_start < target_length && target[path_start] != '/' &&
               target[path_start] != '?' && target[path_start] != '#')
            ++path_start;
        if (path_start == target_length || target[path_start] != '/')
            return bad;
        target_length -= path_start;
        target += path_start;
    }
    if (target[0] != '/')
        return bad;
    size_t path_length = 0;
    while (path_length < target_length && target[path_length] != '?' && target[path_length] != '#')
        ++path_length;
    if (int refused = decode_path(target, path_length, out.path, sizeof out.path))
        return {refused, head_end};

    // Header fields: name ":" OWS value OWS.
    size_t at = line_end_of_first;
    bool has_length = false;
    while (at < head_end) {
        const char* field = data + at;
        const char* newline = static_cast<const char*>(memchr(field, '\n', head_end - at));
        size_t field_length = size_t(newline - field);
        at += field_length + 1;
        if (field_length > MAX_FIELD_LINE)
            return {431, head_end};
        if (field_length && field[field_length - 1] == '\r')
            --field_length;
        if (field_length == 0)
            break; // the empty line
        const char* colon = static_cast<const char*>(memchr(field, ':', field_length));
        if (!colon || colon == field)
            return bad; // (also an obsolete folded line, which starts with a space)
        size_t name_length = size_t(colon - field);
        for (size_t i = 0; i < name_length; ++i) {
            if (!is_token_char(field[i]))
                return bad; // no space before the colon (RFC 9112 5.1)
        }
        const char* value = colon + 1;
        size_t value_length = field_length - name_length - 1;
        while (value_length && (*value == ' ' || *value == '\t')) {
            ++value;
            --value_length;
        }
        while (value_length && (value[value_length - 1] == ' ' || value[value_length - 1] == '\t'))
            --value_length;
        if (equals_ignoring_case(field, name_length, "host")) {
            if (out.has_host)
                return bad; // RFC 9112 3.2: more than one Host
            out.has_host = true;
        } else if (equals_ignoring_case(field, name_length, "connection")) {
            if (list_has(value, value_length, "close"))
                out.keep_alive = false;
            else if (list_has(value, value_length, "keep-alive"))
                out.keep_alive = true;
        } else if (equals_ignoring_case(field, name_length, "content-length")) {
            uint64_t body = 0;
            if (!parse_number(value, value_length, body) ||
                (has_length && body != out.content_length))
                return bad;
            has_length = true;
            out.content_length = body;
        } else if (equals_ignoring_case(field, name_length, "transfer-encoding")) {
            // No request this server answers has a body; a chunked one cannot be skipped
            // safely without decoding it (RFC 9112 6.1), so the connection ends here.
            return {413, head_end};
        } else if (equals_ignoring_case(field, name_length, "range")) {
            out.range = parse_range(value, value_length);
        } else if (equals_ignoring_case(field, name_length, "if-modified-since")) {
            char date[40];
            if (value_length < sizeof date) {
                memcpy(date, value, value_length);
                date[value_length] = 0;
                out.if_modified_since = parse_http_date(date);
            }
        }
    }
    if (out.minor_version == 1 && !out.has_host)
        return bad; // RFC 9112 3.2
    if (out.content_length > MAX_BODY)
        return {413, head_end};
    if (out.method == Method::Other)
        return {405, head_end};
    return {200, head_end};
}

RangeAnswer resolve_range(const ByteRange& range, uint64_t size) {
    if (!range.present)
        return {0, 0, 0};
    if (!range.has_first) {
        if (range.suffix == 0 || size == 0)
            return {416, 0, 0};
        uint64_t take = range.suffix < size ? range.suffix : size;
        return {206, size - take, size - 1};
    }
    if (range.first >= size)
        return {416, 0, 0};
    uint64_t last = range.has_last && range.last < size ? range.last : size - 1;
    return {206, range.first, last};
}

} // namespace khttpd
