#include <kernel/fs/path.h>

#include <string.h>

namespace kernel::fs {

using nk::abi::MAX_NAME;
using nk::abi::MAX_PATH;

namespace {

// The path being built, as "/a/b" ("" for the root). A relative path is appended to the working
// directory before its ".." are applied, so the intermediate text may be longer than the result;
// the scratch space holds both inputs whole.
class Builder {
public:
    nk::ErrorOr append(const char* text) {
        const char* cursor = text;
        while (*cursor) {
            while (*cursor == '/')
                ++cursor;
            const char* start = cursor;
            while (*cursor && *cursor != '/')
                ++cursor;
            auto length = nk::usize(cursor - start);
            if (length == 0)
                break;
            if (length == 1 && start[0] == '.')
                continue;
            if (length == 2 && start[0] == '.' && start[1] == '.') {
                pop();
                continue;
            }
            if (length > MAX_NAME - 1)
                return nk::Error::NameTooLong;
            if (m_length + 1 + length > sizeof(m_text))
                return nk::Error::NameTooLong;
            m_text[m_length++] = '/';
            memcpy(m_text + m_length, start, length);
            m_length += length;
        }
        return {};
    }

    const char* text() const { return m_text; }
    nk::usize length() const { return m_length; }

private:
    void pop() {
        while (m_length > 0 && m_text[m_length - 1] != '/')
            --m_length;
        if (m_length > 0)
            --m_length; // the slash itself
    }

    char m_text[2 * MAX_PATH + 2];
    nk::usize m_length = 0;
};

// True when the text's last component is "." or "..", or it ends in a slash.
bool names_directory(const char* text, nk::usize length) {
    if (length == 0)
        return false;
    if (text[length - 1] == '/')
        return true;
    nk::usize start = length;
    while (start > 0 && text[start - 1] != '/')
        --start;
    nk::usize last = length - start;
    return (last == 1 && text[start] == '.') ||
           (last == 2 && text[start] == '.' && text[start + 1] == '.');
}

} // namespace

nk::Result<Path> Path::resolve(const char* cwd, const char* path) {
    if (!path)
        return nk::Error::Invalid;
    nk::usize path_length = strnlen(path, MAX_PATH);
    if (path_length == MAX_PATH)
        return nk::Error::NameTooLong;
    if (path_length == 0)
        return nk::Error::NoEntry;

    Builder builder;
    if (path[0] != '/') {
        if (!cwd || cwd[0] != '/')
            return nk::Error::Invalid;
        if (strnlen(cwd, MAX_PATH) == MAX_PATH)
            return nk::Error::NameTooLong;
        TRY(builder.append(cwd));
    }
    TRY(builder.append(path));

    Path result;
    if (builder.length() == 0)
        return result;
    if (builder.length() > MAX_PATH - 1)
        return nk::Error::NameTooLong;
    memcpy(result.m_text, builder.text(), builder.length());
    result.m_text[builder.length()] = '\0';
    result.m_length = nk::u16(builder.length());
    result.m_requires_directory = names_directory(path, path_length);
    return result;
}

const char* Path::last_name() const {
    const char* slash = strrchr(m_text, '/');
    return slash + 1;
}

Path Path::parent() const {
    Path result;
    nk::usize end = m_length;
    while (end > 0 && m_text[end - 1] != '/')
        --end;
    // `end` is just past the last slash; drop the slash too unless it is the root's.
    if (end > 1) {
        memcpy(result.m_text, m_text, end - 1);
        result.m_text[end - 1] = '\0';
        result.m_length = nk::u16(end - 1);
    }
    return result;
}

bool Path::is_within(const Path& ancestor) const {
    if (ancestor.is_root())
        return true;
    if (m_length < ancestor.m_length || memcmp(m_text, ancestor.m_text, ancestor.m_length) != 0)
        return false;
    return m_length == ancestor.m_length || m_text[ancestor.m_length] == '/';
}

bool Path::operator==(const Path& other) const {
    return m_length == other.m_length && memcmp(m_text, other.m_text, m_length) == 0;
}

bool Path::next_component(nk::usize& position, char (&name)[MAX_NAME]) const {
    while (position < m_length && m_text[position] == '/')
        ++position;
    if (position >= m_length)
        return false;
    nk::usize length = 0;
    // Components were checked against MAX_NAME when the path was built.
    while (position < m_length && m_text[position] != '/')
        name[length++] = m_text[position++];
    name[length] = '\0';
    return true;
}

} // namespace kernel::fs
