// The live status of every extension, as the server shows it: /_ext, an HTML page that reloads
// itself every second, and /_ext.json, the same records for programs. Plain logic over the
// kernel's records (nooks/extension_list.h), also built into the host tests.
#pragma once

#include "text_buffer.h"

#include <nooks/extension_list.h>

namespace khttpd {

// The server's own figures, shown under the table.
struct ServerFigures {
    uint64_t uptime_ms;
    uint64_t requests;
    uint64_t connections;
    uint64_t refused;     // 503s: over the connection bound
    uint64_t cpu_busy_ms; // the machine's CPU time not halted since boot (nk_clock)
};

void render_status_html(TextBuffer& out, const nk_extension_info* extensions, size_t count,
                        const ServerFigures& figures);
void render_status_json(TextBuffer& out, const nk_extension_info* extensions, size_t count,
                        const ServerFigures& figures);

} // namespace khttpd
