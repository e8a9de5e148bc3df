#include "file_cache.h"

#include <nooks/support.h>

namespace khttpd {

const nk_file_info* FileCache::find(const char* path) const {
    for (const Entry& entry : m_entries) {
        if (entry.used && strcmp(entry.path, path) == 0)
            return &entry.info;
    }
    return nullptr;
}

void FileCache::remember(const char* path, const nk_file_info& info) {
    if (strnlen(path, NK_FILE_PATH_MAX) == NK_FILE_PATH_MAX)
        return;
    for (Entry& entry : m_entries) {
        if (entry.used && strcmp(entry.path, path) == 0) {
            entry.info = info;
            return;
        }
    }
    Entry& entry = m_entries[m_next];
    m_next = (m_next + 1) % ENTRIES;
    entry.used = true;
    entry.info = info;
    nk_strlcpy(entry.path, path, sizeof entry.path);
}

void FileCache::forget(const char* path) {
    for (Entry& entry : m_entries) {
        if (entry.used && strcmp(entry.path, path) == 0)
            entry.used = false;
    }
}

} // namespace khttpd
