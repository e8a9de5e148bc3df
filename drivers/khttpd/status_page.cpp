#include "status_page.h"

#include <nooks/support.h>

namespace khttpd {

namespace {

const char* state_class(const char* state) {
    if (strcmp(state, "running") == 0)
        return "ok";
    if (strcmp(state, "recovering") == 0 || strcmp(state, "starting") == 0)
        return "busy";
    return "down";
}

void held_text(TextBuffer& out, const nk_extension_info& extension) {
    if (extension.held_count == 0)
        out.append("-");
    for (uint32_t i = 0; i < extension.held_count && i < NK_EXTENSION_HELD_KINDS; ++i) {
        if (i)
            out.append(", ");
        out.format("%u ", unsigned(extension.held[i].count));
        out.append_html(extension.held[i].kind);
    }
}

} // namespace

void render_status_html(TextBuffer& out, const nk_extension_info* extensions, size_t count,
                        const ServerFigures& figures) {
    out.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
               "<meta http-equiv=\"refresh\" content=\"1\">"
               "<title>Extensions</title><style>"
               "body{font-family:sans-serif;margin:2em}"
               "table{border-collapse:collapse}"
               "td,th{border:1px solid #999;padding:4px 8px;text-align:left}"
               "th{background:#eee}"
               ".ok{background:#c8f0c8}.busy{background:#f8e8a0}.down{background:#f4b0b0}"
               "</style></head><body>\n<h1>Extensions</h1>\n<table>\n"
               "<tr><th>name</th><th>class</th><th>mode</th><th>state</th><th>restarts</th>"
               "<th>faults</th><th>crossings</th><th>objects held</th><th>last fault</th>"
               "<th>last recovery</th></tr>\n");
    for (size_t i = 0; i < count; ++i) {
        const nk_extension_info& extension = extensions[i];
        out.append("<tr><td>");
        out.append_html(extension.name);
        out.append("</td><td>");
        out.append_html(extension.class_name);
        out.append("</td><td>");
        out.append_html(extension.mode);
        out.format("</td><td class=\"%s\">", state_class(extension.state));
        out.append_html(extension.state);
        out.format("</td><td>%llu</td><td>%llu</td><td>%llu</td><td>",
                   (unsigned long long)extension.restarts, (unsigned long long)extension.faults,
                   (unsigned long long)extension.crossings);
        held_text(out, extension);
        out.append("</td><td>");
        out.append_html(extension.last_fault[0] ? extension.last_fault : "-");
        if (extension.last_recovery_us)
            out.format("</td><td>%llu.%03llu ms</td></tr>\n",
                       (unsigned long long)(extension.last_recovery_us / 1000),
                       (unsigned long long)(extension.last_recovery_us % 1000));
        else
            out.append("</td><td>-</td></tr>\n");
    }
    out.format("</table>\n<p>khttpd: up %llu s, %llu connections, %llu requests, %llu refused "
               "(busy). This page reloads every second; <a href=\"/_ext.json\">JSON</a>.</p>\n"
               "</body></html>\n",
               (unsigned long long)(figures.uptime_ms / 1000),
               (unsigned long long)figures.connections, (unsigned long long)figures.requests,
               (unsigned long long)figures.refused);
}

void render_status_json(TextBuffer& out, const nk_extension_info* extensions, size_t count,
                        const ServerFigures& figures) {
    out.format("{\"server\":{\"uptime_ms\":%llu,\"connections\":%llu,\"requests\":%llu,"
               "\"refused\":%llu,\"cpu_busy_ms\":%llu},\"extensions\":[",
               (unsigned long long)figures.uptime_ms, (unsigned long long)figures.connections,
               (unsigned long long)figures.requests, (unsigned long long)figures.refused,
               (unsigned long long)figures.cpu_busy_ms);
    for (size_t i = 0; i < count; ++i) {
        const nk_extension_info& extension = extensions[i];
        out.append(i ? ",\n{\"name\":\"" : "\n{\"name\":\"");
        out.append_json(extension.name);
        out.append("\",\"class\":\"");
        out.append_json(extension.class_name);
        out.append("\",\"mode\":\"");
        out.append_json(extension.mode);
        out.append("\",\"state\":\"");
        out.append_json(extension.state);
        out.format("\",\"restarts\":%llu,\"faults\":%llu,\"crossings\":%llu,"
                   "\"kernel_calls\":%llu,\"objects\":{",
                   (unsigned long long)extension.restarts, (unsigned long long)extension.faults,
                   (unsigned long long)extension.crossings,
                   (unsigned long long)extension.kernel_calls);
        for (uint32_t k = 0; k < extension.held_count && k < NK_EXTENSION_HELD_KINDS; ++k) {
            out.append(k ? ",\"" : "\"");
            out.append_json(extension.held[k].kind);
            out.format("\":%u", unsigned(extension.held[k].count));
        }
        out.append("},\"last_fault\":");
        if (extension.last_fault[0]) {
            out.append("\"");
            out.append_json(extension.last_fault);
            out.append("\"");
        } else {
            out.append("null");
        }
        if (extension.last_recovery_us)
            out.format(",\"last_recovery_us\":%llu}",
                       (unsigned long long)extension.last_recovery_us);
        else
            out.append(",\"last_recovery_us\":null}");
    }
    out.append("\n]}\n");
}

} // namespace khttpd
