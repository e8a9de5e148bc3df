#include "text_buffer.h"

#include <nooks/support.h>
#include <stdarg.h>

namespace khttpd {

void TextBuffer::append(const char* text, size_t length) {
    if (m_used + length + 1 > m_size) {
        m_overflowed = true;
        length = m_size > m_used + 1 ? m_size - m_used - 1 : 0;
    }
    memcpy(m_data + m_used, text, length);
    m_used += length;
    if (m_size)
        m_data[m_used] = 0;
}

void TextBuffer::append(const char* text) {
    append(text, strlen(text));
}

void TextBuffer::format(const char* format, ...) {
    va_list args;
    va_start(args, format);
    size_t room = m_size > m_used ? m_size - m_used : 0;
    int wanted = nk_vsnprintf(m_data + m_used, room, format, args);
    va_end(args);
    if (wanted < 0)
        return;
    if (size_t(wanted) >= room) {
        m_overflowed = true;
        m_used = room ? m_size - 1 : m_used;
    } else {
        m_used += size_t(wanted);
    }
}

void TextBuffer::append_html(const char* text) {
    for (; *text; ++text) {
        switch (*text) {
        case '<':
            append("&lt;");
            break;
        case '>':
            append("&gt;");
            break;
        case '&':
            append("&amp;");
            break;
        case '"':
            append("&quot;");
            break;
        case '\'':
            append("&#39;");
            break;
        default:
            append(text, 1);
        }
    }
}

void TextBuffer::append_json(const char* text) {
    for (; *text; ++text) {
        unsigned char c = (unsigned char)*text;
        if (c == '"' || c == '\\') {
            char escaped[2] = {'\\', char(c)};
            append(escaped, 2);
        } else if (c < 0x20) {
            format("\\u%04x", c);
        } else {
            append(text, 1);
        }
    }
}

void TextBuffer::append_url(const char* text) {
    for (; *text; ++text) {
        char c = *text;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
        if (plain)
            append(text, 1);
        else
            format("%%%02X", unsigned((unsigned char)c));
    }
}

} // namespace khttpd
