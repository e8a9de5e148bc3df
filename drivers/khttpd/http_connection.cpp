// One connection: read a request head, answer it, and go on with the next (keep-alive and
// pipelining: what follows a request in the input is the next one). A file's bytes go from the
// VFS to the socket inside the kernel (nk_socket_send_file); the server only writes heads,
// error pages, listings and the status page.
#include "http_date.h"
#include "http_request.h"
#include "http_response.h"
#include "http_server.h"
#include "status_page.h"

#include <nooks/extension_list.h>
#include <nooks/file.h>
#include <nooks/support.h>

namespace khttpd {

namespace {

// The answer to one request; whether the connection goes on.
class Responder {
public:
    Responder(Worker& worker, const Request& request)
        : m_worker(worker), m_request(request), m_keep_alive(request.keep_alive),
          m_head_only(request.method == Method::Head) {}

    bool answer();
    // An error page; the connection goes on after it when `keep_alive`.
    bool error(int status, bool keep_alive);

private:
    // `cached`: `info` came from the worker's file cache (unchecked until the send checks it).
    bool file(const char* path, const nk_file_info& info, bool cached);
    // The stat (unless `use_cache` and the cache knows the file), then the answer.
    bool answer_file(bool use_cache);
    bool directory(const nk_file_info& info);
    bool listing();
    bool status_page(bool json);
    // Sends a head and a generated body held in m_worker.output after the head.
    bool generated(int status, const char* type, const char* body, size_t body_length,
                   const char* extra = nullptr, const char* location = nullptr);

    Worker& m_worker;
    const Request& m_request;
    bool m_keep_alive;
    bool m_head_only;
};

bool Responder::generated(int status, const char* type, const char* body, size_t body_length,
                          const char* extra, const char* location) {
    // The head goes in front of the body in the output buffer's other half.
    char head_buffer[1024];
    TextBuffer head(head_buffer, sizeof head_buffer);
    ResponseHead fields = {};
    fields.status = status;
    fields.content_type = type;
    fields.content_length = body_length;
    fields.keep_alive = m_keep_alive;
    fields.extra = extra;
    fields.location = location;
    write_head(head, fields, now_epoch());
    if (head.overflowed())
        return false;
    if (m_head_only || body_length == 0)
        return send_all(m_worker.connection, head.data(), head.length()) && m_keep_alive;
    // One send for head and body: the body was written at `body` inside the output buffer with
    // the head's room left in front of it.
    if (body >= m_worker.output + head.length() && body < m_worker.output + OUTPUT_SIZE) {
        char* start = const_cast<char*>(body) - head.length();
        memcpy(start, head.data(), head.length());
        return send_all(m_worker.connection, start, head.length() + body_length) && m_keep_alive;
    }
    return send_all(m_worker.connection, head.data(), head.length()) &&
           send_all(m_worker.connection, body, body_length) && m_keep_alive;
}

// Generated bodies start this far into the output buffer, leaving the head room in front.
constexpr size_t HEAD_ROOM = 1024;

bool Responder::error(int status, bool keep_alive) {
    if (status >= 500)
        g_counters.errors = g_counters.errors + 1;
    m_keep_alive = keep_alive && m_keep_alive;
    char* body_start = m_worker.output + HEAD_ROOM;
    TextBuffer body(body_start, OUTPUT_SIZE - HEAD_ROOM);
    body.format("<!DOCTYPE html>\n<html><head><title>%d %s</title></head><body><h1>%d %s</h1>"
                "</body></html>\n",
                status, reason_phrase(status), status, reason_phrase(status));
    const char* extra = status == 503 ? "Retry-After: 1\r\n" : nullptr;
    return generated(status, "text/html; charset=utf-8", body.data(), body.length(), extra);
}

bool Responder::file(const char* path, const nk_file_info& info, bool cached) {
    if (m_request.if_modified_since && info.modified &&
        info.modified <= m_request.if_modified_since) {
        char head_buffer[512];
        TextBuffer head(head_buffer, sizeof head_buffer);
        ResponseHead fields = {};
        fields.status = 304;
        fields.last_modified = info.modified;
        fields.keep_alive = m_keep_alive;
        write_head(head, fields, now_epoch());
        return send_all(m_worker.connection, head.data(), head.length()) && m_keep_alive;
    }
    RangeAnswer range = resolve_range(m_request.range, info.size);
    ResponseHead fields = {};
    fields.keep_alive = m_keep_alive;
    fields.last_modified = info.modified;
    fields.full_size = info.size;
    fields.content_type = media_type(path);
    if (range.status == 416) {
        fields.status = 416;
        fields.unsatisfiable = true;
        fields.content_type = nullptr;
    } else if (range.status == 206) {
        fields.status = 206;
        fields.ranged = true;
        fields.range_first = range.first;
        fields.range_last = range.last;
        fields.content_length = range.last - range.first + 1;
    } else {
        fields.status = 200;
        fields.content_length = info.size;
    }
    char head_buffer[1024];
    TextBuffer head(head_buffer, sizeof head_buffer);
    write_head(head, fields, now_epoch());
    if (head.overflowed())
        return error(500, false);
    if (m_head_only || fields.content_length == 0)
        return send_all(m_worker.connection, head.data(), head.length()) && m_keep_alive;
    // Head and file in as few calls as the peer allows; each call is bounded (1 s), and a peer
    // that takes nothing for request_ms is given up on.
    uint64_t offset = fields.status == 206 ? range.first : 0;
    uint64_t total = head.length() + fields.content_length;
    uint64_t done = 0;
    uint64_t last_progress = now_ms();
    while (done < total) {
        nk_send_file request = {};
        if (done < head.length()) {
            request.head = head.data() + done;
            request.head_length = head.length() - done;
            request.offset = offset;
            request.length = fields.content_length;
            request.expected = info;
            request.check = cached && done == 0;
        } else {
            request.offset = offset + (done - head.length());
            request.length = total - done;
        }
        if (m_worker.prefetch && m_keep_alive) {
            // With the last bytes, the next request: one crossing less per request.
            request.receive = m_worker.input;
            request.receive_size = INPUT_SIZE;
            request.receive_timeout_ms = 1000;
        }
        long sent = nk_socket_send_file(m_worker.connection, path, &request);
        if (sent > 0 && request.received != -NK_ECANCELED) {
            m_worker.has_prefetched = true;
            m_worker.prefetched = request.received;
        }
        if (sent == -NK_ESTALE || (sent == -NK_ENOENT && cached && done == 0)) {
            // The file changed (or went) since the cache saw it; nothing was sent: ask again.
            m_worker.files->forget(path);
            return answer_file(false);
        }
        if (sent < 0) {
            // Nothing out yet: the file could not be read, and the client can still be told.
            if (done == 0 && sent != -NK_EPIPE && sent != -NK_ECONNRESET)
                return error(500, false);
            return false; // the head is out already: the connection can only end
        }
        if (sent == 0) {
            if (now_ms() - last_progress >= g_settings.request_ms || nk_thread_should_stop())
                return false;
            continue;
        }
        last_progress = now_ms();
        done += uint64_t(sent);
    }
    return m_keep_alive;
}

bool Responder::directory(const nk_file_info&) {
    size_t length = strlen(m_request.path);
    if (m_request.path[length - 1] != '/') {
        // "/docs" -> "/docs/", so that the page's relative links resolve inside it.
        char location[NK_FILE_PATH_MAX * 3 + 2];
        TextBuffer target(location, sizeof location);
        target.append_url(m_request.path);
        target.append("/");
        char* body_start = m_worker.output + HEAD_ROOM;
        TextBuffer body(body_start, OUTPUT_SIZE - HEAD_ROOM);
        body.append("<!DOCTYPE html>\n<html><body>Moved to <a href=\"");
        body.append_html(location);
        body.append("\">here</a>.</body></html>\n");
        return generated(301, "text/html; charset=utf-8", body.data(), body.length(), nullptr,
                         location);
    }
    char index[NK_FILE_PATH_MAX];
    if (length + 10 < sizeof index) {
        nk_snprintf(index, sizeof index, "%sindex.html", m_request.path);
        nk_file_info index_info;
        if (nk_file_stat(index, &index_info) == 0 && index_info.type == NK_FILE_REGULAR)
            return file(index, index_info, false);
    }
    return listing();
}

bool Responder::listing() {
    auto* entries = static_cast<nk_dir_entry*>(m_worker.scratch);
    uint32_t room = uint32_t(SCRATCH_SIZE / sizeof(nk_dir_entry));
    if (room > NK_DIR_LIST_MAX)
        room = NK_DIR_LIST_MAX;
    char* body_start = m_worker.output + HEAD_ROOM;
    TextBuffer body(body_start, OUTPUT_SIZE - HEAD_ROOM);
    body.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ");
    body.append_html(m_request.path);
    body.append("</title></head><body><h1>Index of ");
    body.append_html(m_request.path);
    body.append("</h1>\n<ul>\n");
    if (strcmp(m_request.path, "/") != 0)
        body.append("<li><a href=\"../\">../</a></li>\n");
    uint64_t start = 0;
    for (;;) {
        long got = nk_dir_list(m_request.path, start, entries, room);
        if (got < 0)
            return error(got == -NK_ENOENT ? 404 : 500, true);
        for (long i = 0; i < got; ++i) {
            const nk_dir_entry& entry = entries[i];
            bool is_directory = entry.type == NK_FILE_DIRECTORY;
            body.append("<li><a href=\"");
            body.append_url(entry.name);
            body.append(is_directory ? "/\">" : "\">");
            body.append_html(entry.name);
            if (is_directory)
                body.append("/</a></li>\n");
            else
                body.format("</a> %llu bytes</li>\n", (unsigned long long)entry.size);
        }
        if (uint32_t(got) < room || body.overflowed())
            break;
        start += uint64_t(got);
    }
    if (body.overflowed())
        return error(500, true); // a directory too large to list in one page
    body.append("</ul>\n</body></html>\n");
    if (body.overflowed())
        return error(500, true);
    return generated(200, "text/html; charset=utf-8", body.data(), body.length());
}

bool Responder::status_page(bool json) {
    auto* extensions = static_cast<nk_extension_info*>(m_worker.scratch);
    static_assert(NK_EXTENSION_LIST_MAX * sizeof(nk_extension_info) <= SCRATCH_SIZE);
    long count = nk_extension_list(extensions, NK_EXTENSION_LIST_MAX);
    if (count < 0)
        return error(500, true);
    ServerFigures figures = {(g_clock->uptime_ns - g_counters.started_ns) / 1000000,
                             g_counters.requests, g_counters.connections, g_counters.refused,
                             g_clock->busy_ns / 1000000};
    char* body_start = m_worker.output + HEAD_ROOM;
    TextBuffer body(body_start, OUTPUT_SIZE - HEAD_ROOM);
    if (json)
        render_status_json(body, extensions, size_t(count), figures);
    else
        render_status_html(body, extensions, size_t(count), figures);
    if (body.overflowed())
        return error(500, true);
    return generated(200, json ? "application/json" : "text/html; charset=utf-8", body.data(),
                     body.length(), "Cache-Control: no-store\r\n");
}

bool Responder::answer() {
    if (strcmp(m_request.path, "/_ext") == 0)
        return status_page(false);
    if (strcmp(m_request.path, "/_ext.json") == 0)
        return status_page(true);
    // A plain GET of a file served lately skips the stat: the send checks the cached attributes.
    // HEAD, conditional and ranged requests answer from attributes alone or in part, so they
    // take a fresh stat.
    return answer_file(!m_head_only && !m_request.if_modified_since && !m_request.range.present);
}

bool Responder::answer_file(bool use_cache) {
    if (use_cache) {
        if (const nk_file_info* known = m_worker.files->find(m_request.path))
            return file(m_request.path, *known, true);
    }
    nk_file_info info;
    long found = nk_file_stat(m_request.path, &info);
    if (found < 0) {
        switch (-found) {
        case NK_ENOENT:
        case NK_ENOTDIR:
            return error(404, true);
        case NK_EPERM:
            return error(403, true);
        case NK_ENAMETOOLONG:
            return error(414, false);
        default:
            return error(500, true);
        }
    }
    if (info.type == NK_FILE_DIRECTORY)
        return directory(info);
    if (info.type != NK_FILE_REGULAR)
        return error(403, true);
    m_worker.files->remember(m_request.path, info);
    return file(m_request.path, info, false);
}

// Reads and drops `length` bytes of a request body, the part already in the input first.
bool skip_body(Worker& worker, size_t& used, size_t& consumed, uint64_t length) {
    uint64_t in_buffer = used - consumed;
    if (in_buffer >= length) {
        consumed += size_t(length);
        return true;
    }
    length -= in_buffer;
    consumed = used;
    uint64_t deadline = now_ms() + g_settings.request_ms;
    while (length) {
        if (now_ms() >= deadline || nk_thread_should_stop())
            return false;
        size_t chunk = length < INPUT_SIZE ? size_t(length) : INPUT_SIZE;
        long got = nk_socket_receive(worker.connection, worker.input, chunk, 1000);
        if (got == -NK_ETIMEDOUT)
            continue;
        if (got <= 0)
            return false;
        length -= uint64_t(got);
    }
    return true;
}

} // namespace

bool send_all(nk_socket_handle socket, const char* data, size_t length) {
    uint64_t last_progress = now_ms();
    while (length) {
        long sent = nk_socket_send(socket, data, length);
        if (sent < 0)
            return false;
        if (sent == 0) {
            if (now_ms() - last_progress >= g_settings.request_ms || nk_thread_should_stop())
                return false;
            continue;
        }
        last_progress = now_ms();
        data += sent;
        length -= size_t(sent);
    }
    return true;
}

void serve_connection(Worker& worker) {
    size_t used = 0;
    bool started = false; // some of a request is in
    uint64_t waiting_since = now_ms();
    // Asking whether the thread should stop is a crossing: it is asked when a wait ran out, and
    // every so many requests on a busy connection.
    unsigned served = 0;
    for (;;) {
        Request request;
        ParseResult parsed = used ? parse_request(worker.input, used, request) : ParseResult{0, 0};
        if (parsed.status == 0) {
            uint64_t limit = started ? g_settings.request_ms : g_settings.idle_ms;
            uint64_t waited = now_ms() - waiting_since;
            if (waited >= limit) {
                if (started) {
                    Responder responder(worker, request);
                    responder.error(408, false);
                }
                return;
            }
            uint64_t wait = limit - waited < 1000 ? limit - waited : 1000;
            long got =
                nk_socket_receive(worker.connection, worker.input + used, INPUT_SIZE - used, wait);
            if (got == -NK_ETIMEDOUT) {
                if (nk_thread_should_stop())
                    return;
                continue;
            }
            if (got <= 0)
                return;
            if (!started) {
                started = true;
                waiting_since = now_ms();
            }
            used += size_t(got);
            continue;
        }
        g_counters.requests = g_counters.requests + 1;
        if (++served % 64 == 0 && nk_thread_should_stop())
            return;
        Responder responder(worker, request);
        if (parsed.status != 200) {
            responder.error(parsed.status, false);
            return;
        }
        worker.prefetch = request.content_length == 0 && parsed.consumed == used;
        worker.has_prefetched = false;
        if (!responder.answer())
            return;
        if (worker.has_prefetched) {
            // The response's send read on: what came is the start of the next request.
            worker.has_prefetched = false;
            long got = long(worker.prefetched);
            if (got == 0 || (got < 0 && got != -NK_ETIMEDOUT))
                return;
            used = got > 0 ? size_t(got) : 0;
            started = used > 0;
            // A receive that ran out waited its second already.
            waiting_since = now_ms() - (got < 0 ? 1000 : 0);
            continue;
        }
        size_t consumed = parsed.consumed;
        if (request.content_length && !skip_body(worker, used, consumed, request.content_length))
            return;
        memmove(worker.input, worker.input + consumed, used - consumed);
        used -= consumed;
        started = used > 0;
        waiting_since = now_ms();
    }
}

} // namespace khttpd
