#include <kernel/fs/file.h>
#include <kernel/fs/file_table.h>

namespace kernel::fs {

using nk::Error;
using nk::abi::MAX_FDS;

// Files are unreferenced after the table's mutex is released: the last unref() takes the VFS
// lock and frees memory, neither of which needs to happen under this one.

nk::Result<int> FileTable::install(File* file) {
    {
        MutexLocker locker(m_mutex);
        for (int fd = 0; fd < MAX_FDS; ++fd) {
            if (!m_files[fd]) {
                m_files[fd] = file;
                return fd;
            }
        }
    }
    file->unref();
    return Error::TooManyFiles;
}

nk::Result<RefPtr<File>> FileTable::get(int fd) const {
    MutexLocker locker(m_mutex);
    if (!in_range(fd) || !m_files[fd])
        return Error::BadHandle;
    return RefPtr<File>(*m_files[fd]);
}

nk::ErrorOr FileTable::close(int fd) {
    File* file;
    {
        MutexLocker locker(m_mutex);
        if (!in_range(fd) || !m_files[fd])
            return Error::BadHandle;
        file = m_files[fd];
        m_files[fd] = nullptr;
    }
    file->unref();
    return {};
}

nk::Result<int> FileTable::dup2(int from, int to) {
    File* replaced;
    {
        MutexLocker locker(m_mutex);
        if (!in_range(from) || !m_files[from] || !in_range(to))
            return Error::BadHandle;
        if (from == to)
            return to;
        replaced = m_files[to];
        m_files[from]->ref();
        m_files[to] = m_files[from];
    }
    if (replaced)
        replaced->unref();
    return to;
}

nk::ErrorOr FileTable::inherit(const FileTable& parent, nk::Span<const int> fds) {
    if (fds.size() > nk::usize(MAX_FDS) || &parent == this)
        return Error::BadHandle;
    File* taken[MAX_FDS] = {};
    {
        MutexLocker locker(parent.m_mutex);
        for (nk::usize i = 0; i < fds.size(); ++i) {
            int fd = fds[i];
            if (fd == -1)
                continue;
            if (!in_range(fd) || !parent.m_files[fd])
                return Error::BadHandle;
        }
        for (nk::usize i = 0; i < fds.size(); ++i) {
            if (fds[i] != -1) {
                taken[i] = parent.m_files[fds[i]];
                taken[i]->ref();
            }
        }
    }
    File* replaced[MAX_FDS] = {};
    {
        MutexLocker locker(m_mutex);
        for (nk::usize i = 0; i < fds.size(); ++i) {
            replaced[i] = m_files[i];
            m_files[i] = taken[i];
        }
    }
    for (File* file : replaced) {
        if (file)
            file->unref();
    }
    return {};
}

void FileTable::close_all() {
    File* closed[MAX_FDS];
    {
        MutexLocker locker(m_mutex);
        for (int fd = 0; fd < MAX_FDS; ++fd) {
            closed[fd] = m_files[fd];
            m_files[fd] = nullptr;
        }
    }
    for (File* file : closed) {
        if (file)
            file->unref();
    }
}

int FileTable::open_count() const {
    int count = 0;
    for (File* const& file : m_files)
        count += __atomic_load_n(&file, __ATOMIC_RELAXED) != nullptr;
    return count;
}

} // namespace kernel::fs
