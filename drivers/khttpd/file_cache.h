// The files a worker served lately: path -> what nk_file_stat said, so that a request for the
// same file again costs no stat crossing. An entry is only ever used with a checked send
// (nk_send_file.check): the kernel compares it with the file as it is now, so a stale entry
// costs a retry, never a wrong answer. Plain logic, also built into the host tests.
#pragma once

#include <nooks/file.h>

namespace khttpd {

class FileCache {
public:
    static constexpr unsigned ENTRIES = 16;

    // The entry for `path`, or null.
    const nk_file_info* find(const char* path) const;
    // Paths too long for an entry are not kept.
    void remember(const char* path, const nk_file_info& info);
    void forget(const char* path);

private:
    struct Entry {
        bool used;
        nk_file_info info;
        char path[NK_FILE_PATH_MAX];
    };
    Entry m_entries[ENTRIES] = {};
    unsigned m_next = 0; // the entry the next new path replaces (round robin)
};

} // namespace khttpd
