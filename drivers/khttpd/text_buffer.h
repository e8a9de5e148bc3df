// A bounded text buffer that responses are written into: appends never overrun it, and a
// response that did not fit is known (overflowed) rather than sent cut.
#pragma once

#include <nooks/types.h>

namespace khttpd {

class TextBuffer {
public:
    TextBuffer(char* data, size_t size) : m_data(data), m_size(size) {
        if (size)
            data[0] = 0;
    }

    void append(const char* text);
    void append(const char* text, size_t length);
    void format(const char* format, ...) __attribute__((format(printf, 2, 3)));
    // `text` with HTML's special characters as entities.
    void append_html(const char* text);
    // `text` as the inside of a JSON string.
    void append_json(const char* text);
    // `text` with every byte outside unreserved URL characters and '/' percent-encoded.
    void append_url(const char* text);

    const char* data() const { return m_data; }
    size_t length() const { return m_used; }
    bool overflowed() const { return m_overflowed; }

private:
    char* m_data;
    size_t m_size;
    size_t m_used = 0;
    bool m_overflowed = false;
};

} // namespace khttpd
