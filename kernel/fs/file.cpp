#include <kernel/fs/file.h>
#include <kernel/fs/file_system.h>
#include <kernel/fs/inode.h>
#include <kernel/fs/vfs.h>

namespace kernel::fs {

using nk::Error;
using nk::abi::FileType;

namespace {

// Positions stay representable as the i64 a seek returns.
constexpr nk::u64 MAX_POSITION = nk::u64(INT64_MAX);

} // namespace

File::File(Vfs& vfs, Inode& inode, nk::u32 flags)
    : m_vfs(vfs), m_inode(&inode), m_type(inode.type()), m_flags(flags) {
    inode.ref();
    inode.file_system().file_opened();
    ++s_live_count;
}

void File::release_locked() {
    m_inode->file_system().file_closed();
    m_inode->unref();
    --s_live_count;
    delete this;
}

void File::ref() {
    __atomic_add_fetch(&m_references, 1, __ATOMIC_RELAXED);
}

void File::unref() {
    if (__atomic_sub_fetch(&m_references, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    MutexLocker locker(m_vfs.mutex());
    release_locked();
}

bool File::can_read() const {
    nk::u32 access = m_flags & nk::abi::O_ACCMODE;
    return access == nk::abi::O_RDONLY || access == nk::abi::O_RDWR;
}

bool File::can_write() const {
    nk::u32 access = m_flags & nk::abi::O_ACCMODE;
    return access == nk::abi::O_WRONLY || access == nk::abi::O_RDWR;
}

nk::Result<nk::usize> File::read(nk::u8* buffer, nk::usize length) {
    if (!can_read())
        return Error::BadHandle;
    // Without the lock: the inode stays alive through our reference, and a device may block.
    if (m_inode->has_unlocked_io())
        return m_inode->read(0, buffer, length);
    MutexLocker locker(m_vfs.mutex());
    if (m_type == FileType::Directory)
        return Error::IsDirectory;
    nk::usize count = TRY(m_inode->read(m_offset, buffer, length));
    m_offset += count;
    return count;
}

nk::Result<nk::usize> File::write(const nk::u8* buffer, nk::usize length) {
    if (!can_write())
        return Error::BadHandle;
    if (m_inode->has_unlocked_io())
        return m_inode->write(0, buffer, length);
    MutexLocker locker(m_vfs.mutex());
    if (m_type == FileType::Directory)
        return Error::IsDirectory;
    // Taking the end under the same lock as the write keeps appends from interleaving.
    if (m_flags & nk::abi::O_APPEND)
        m_offset = TRY(m_inode->stat()).size;
    if (m_offset > MAX_POSITION || length > MAX_POSITION - m_offset)
        return Error::FileTooBig;
    nk::usize count = TRY(m_inode->write(m_offset, buffer, length));
    m_offset += count;
    return count;
}

nk::Result<nk::u64> File::seek(nk::i64 offset, int whence) {
    if (whence != nk::abi::SEEK_SET && whence != nk::abi::SEEK_CUR && whence != nk::abi::SEEK_END)
        return Error::Invalid;
    if (m_inode->has_unlocked_io())
        return nk::u64(0);
    MutexLocker locker(m_vfs.mutex());
    nk::u64 base = 0;
    if (whence == nk::abi::SEEK_CUR) {
        base = m_offset;
    } else if (whence == nk::abi::SEEK_END) {
        // A directory's position is an entry index; its "end" has no meaning.
        if (m_type == FileType::Directory)
            return Error::Invalid;
        base = TRY(m_inode->stat()).size;
    }
    nk::u64 position;
    if (offset < 0) {
        // -offset computed without overflow for INT64_MIN.
        nk::u64 back = nk::u64(-(offset + 1)) + 1;
        if (back > base)
            return Error::Invalid;
        position = base - back;
    } else {
        if (base > MAX_POSITION || nk::u64(offset) > MAX_POSITION - base)
            return Error::Overflow;
        position = base + nk::u64(offset);
    }
    m_offset = position;
    return position;
}

nk::Result<nk::usize> File::read_directory(nk::abi::DirEntry* entries, nk::usize count) {
    MutexLocker locker(m_vfs.mutex());
    if (m_type != FileType::Directory)
        return Error::NotDirectory;
    nk::usize written = 0;
    while (written < count) {
        auto more = m_inode->read_directory(m_offset, entries[written]);
        if (more.is_error()) {
            // Entries already copied are worth returning; the error shows on the next call.
            if (written > 0)
                break;
            return more.error();
        }
        if (!more.value())
            break;
        ++m_offset;
        ++written;
    }
    return written;
}

nk::Result<nk::abi::Stat> File::stat() {
    MutexLocker locker(m_vfs.mutex());
    return m_inode->stat();
}

nk::ErrorOr File::truncate(nk::u64 length) {
    if (!can_write())
        return Error::BadHandle;
    if (m_type == FileType::CharDevice)
        return Error::Invalid;
    MutexLocker locker(m_vfs.mutex());
    if (m_type == FileType::Directory)
        return Error::IsDirectory;
    return m_inode->truncate(length);
}

} // namespace kernel::fs
