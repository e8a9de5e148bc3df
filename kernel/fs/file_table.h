// A process's file descriptors: abi::MAX_FDS slots, each empty or holding a reference to a File.
// Descriptors that share a File (dup2, inheritance at spawn) share its position.
#pragma once

#include <kernel/fs/ref_ptr.h>
#include <kernel/sync/mutex.h>
#include <nk/result.h>
#include <nk/span.h>
#include <nk/syscall_abi.h>

namespace kernel::fs {

class File;

class FileTable {
public:
    FileTable() = default;
    // Closes every descriptor.
    ~FileTable() { close_all(); }
    FileTable(const FileTable&) = delete;
    FileTable& operator=(const FileTable&) = delete;

    // Puts `file` in the lowest free slot. Consumes the caller's reference in every case (on
    // TooManyFiles it is dropped), so `install(TRY(vfs.open(...)))` cannot leak.
    nk::Result<int> install(File* file);
    // The File behind `fd`, with a reference of its own: it stays valid even if another thread
    // closes `fd` meanwhile. BadHandle for a closed or out-of-range fd.
    nk::Result<RefPtr<File>> get(int fd) const;
    nk::ErrorOr close(int fd);
    // Makes `to` refer to the File of `from`, closing what `to` held; returns `to`. BadHandle
    // when `from` is not open or `to` is out of range. dup2(fd, fd) only checks fd.
    nk::Result<int> dup2(int from, int to);
    // For spawn: descriptor i of this (new) table becomes `parent`'s descriptor fds[i]; -1 leaves
    // it closed. BadHandle, with this table unchanged, if a named parent descriptor is not open
    // or there are more than abi::MAX_FDS entries.
    nk::ErrorOr inherit(const FileTable& parent, nk::Span<const int> fds);
    void close_all();

    // Descriptors in use, read without the table's lock so that a report may take it with
    // interrupts off (processes::format_memory); a change under way may or may not be counted.
    int open_count() const;

private:
    static bool in_range(int fd) { return fd >= 0 && fd < nk::abi::MAX_FDS; }

    mutable Mutex m_mutex;
    File* m_files[nk::abi::MAX_FDS] = {};
};

} // namespace kernel::fs
