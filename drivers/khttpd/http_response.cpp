#include "http_response.h"

#include "http_date.h"

#include <nooks/support.h>

namespace khttpd {

const char* reason_phrase(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 416:
        return "Range Not Satisfiable";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

const char* media_type(const char* path) {
    struct Type {
        const char* extension;
        const char* type;
    };
    static const Type TYPES[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"txt", "text/plain; charset=utf-8"},
        {"css", "text/css"},
        {"js", "text/javascript"},
        {"json", "application/json"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"svg", "image/svg+xml"},
        {"ico", "image/x-icon"},
        {"pdf", "application/pdf"},
        {"xml", "application/xml"},
        {"wasm", "application/wasm"},
        {"bin", "application/octet-stream"},
    };
    const char* slash = strrchr(path, '/');
    const char* dot = strrchr(slash ? slash : path, '.');
    if (!dot)
        return "application/octet-stream";
    ++dot;
    for (const Type& type : TYPES) {
        const char* a = dot;
        const char* b = type.extension;
        while (*a && *b && (*a | 0x20) == *b) {
            ++a;
            ++b;
        }
        if (!*a && !*b)
            return type.type;
    }
    return "application/octet-stream";
}

void write_head(TextBuffer& out, const ResponseHead& head, uint64_t now) {
    out.format("HTTP/1.1 %d %s\r\nServer: khttpd (nooks)\r\n", head.status,
               reason_phrase(head.status));
    char date[HTTP_DATE_SIZE];
    if (now) {
        format_http_date(now, date);
        out.format("Date: %s\r\n", date);
    }
    if (head.content_type)
        out.format("Content-Type: %s\r\n", head.content_type);
    // A 304 may only carry the Content-Length a 200 would have had (RFC 9110 8.6): none.
    if (head.status != 304)
        out.format("Content-Length: %llu\r\n", (unsigned long long)head.content_length);
    if (head.last_modified) {
        format_http_date(head.last_modified, date);
        out.format("Last-Modified: %s\r\n", date);
    }
    if (head.ranged)
        out.format("Content-Range: bytes %llu-%llu/%llu\r\n", (unsigned long long)head.range_first,
                   (unsigned long long)head.range_last, (unsigned long long)head.full_size);
    if (head.unsatisfiable)
        out.format("Content-Range: bytes */%llu\r\n", (unsigned long long)head.full_size);
    if (head.location)
        out.format("Location: %s\r\n", head.location);
    if (head.status == 405)
        out.append("Allow: GET, HEAD\r\n");
    if (head.status == 200 || head.status == 206 || head.status == 304 || head.status == 416)
        out.append("Accept-Ranges: bytes\r\n");
    if (head.extra)
        out.append(head.extra);
    out.append(head.keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
}

} // namespace khttpd
