#include <kernel/fs/inode.h>
#include <kernel/fs/ramfs.h>
#include <kernel/fs/timestamp.h>
#include <nk/intrusive_list.h>

#include <string.h>

namespace kernel::fs {

using nk::abi::FileType;

namespace {

class RamFile final : public Inode {
public:
    RamFile(RamFs& fs) : Inode(fs, FileType::Regular, fs.allocate_inode_number()) {}
    ~RamFile() override { kfree(m_data); }

    void set_links(nk::u32 links) { m_links = links; }

    nk::Result<nk::usize> read(nk::u64 offset, nk::u8* buffer, nk::usize length) override {
        if (offset >= m_size)
            return nk::usize(0);
        nk::usize count = nk::min<nk::u64>(length, m_size - offset);
        memcpy(buffer, m_data + offset, count);
        return count;
    }

    nk::Result<nk::usize> write(nk::u64 offset, const nk::u8* buffer, nk::usize length) override {
        if (length == 0)
            return nk::usize(0);
        if (offset > MAX_SIZE || length > MAX_SIZE - offset)
            return nk::Error::FileTooBig;
        nk::usize end = offset + length;
        TRY(reserve(end));
        if (offset > m_size)
            memset(m_data + m_size, 0, offset - m_size);
        memcpy(m_data + offset, buffer, length);
        if (end > m_size)
            m_size = end;
        m_modified_ns = timestamp_ns();
        return length;
    }

    nk::ErrorOr truncate(nk::u64 length) override {
        if (length > MAX_SIZE)
            return nk::Error::FileTooBig;
        if (length > m_size) {
            TRY(reserve(length));
            memset(m_data + m_size, 0, length - m_size);
        } else if (length == 0) {
            // Give the memory back: a truncated log should not pin its old size.
            kfree(m_data);
            m_data = nullptr;
            m_capacity = 0;
        }
        m_size = length;
        m_modified_ns = timestamp_ns();
        return {};
    }

    nk::Result<nk::abi::Stat> stat() const override {
        return nk::abi::Stat{m_size, number(), FileType::Regular, m_links, m_modified_ns};
    }

private:
    // Files are capped well below what the heap could ever supply, so the size arithmetic
    // cannot overflow.
    static constexpr nk::u64 MAX_SIZE = 1ull << 40;

    nk::ErrorOr reserve(nk::usize size) {
        if (size <= m_capacity)
            return {};
        // Doubling keeps appends amortised linear.
        nk::usize capacity = nk::max<nk::usize>(nk::max<nk::usize>(size, 2 * m_capacity), 64);
        auto* data = static_cast<nk::u8*>(kmalloc(capacity));
        if (!data)
            return nk::Error::NoSpace;
        if (m_size)
            memcpy(data, m_data, m_size);
        kfree(m_data);
        m_data = data;
        m_capacity = capacity;
        return {};
    }

    nk::u8* m_data = nullptr;
    nk::usize m_size = 0;
    nk::usize m_capacity = 0;
    nk::u32 m_links = 1;
    nk::u64 m_modified_ns = timestamp_ns();
};

class RamDirectory final : public Inode {
public:
    RamDirectory(RamFs& fs) : Inode(fs, FileType::Directory, fs.allocate_inode_number()) {}
    ~RamDirectory() override {
        while (Entry* entry = m_entries.pop_front())
            release(entry);
    }

    nk::Result<Inode*> lookup(const char* name) override {
        Entry* entry = find(name);
        if (!entry)
            return nk::Error::NoEntry;
        entry->inode->ref();
        return entry->inode;
    }

    nk::Result<Inode*> create_file(const char* name) override {
        return add(name, new RamFile(ram_fs()));
    }

    nk::Result<Inode*> make_directory(const char* name) override {
        return add(name, new RamDirectory(ram_fs()));
    }

    nk::ErrorOr unlink(const char* name) override {
        Entry* entry = find(name);
        if (!entry)
            return nk::Error::NoEntry;
        if (entry->inode->is_directory())
            return nk::Error::IsDirectory;
        remove(*entry);
        return {};
    }

    nk::ErrorOr remove_directory(const char* name) override {
        Entry* entry = find(name);
        if (!entry)
            return nk::Error::NoEntry;
        if (!entry->inode->is_directory())
            return nk::Error::NotDirectory;
        if (!static_cast<RamDirectory*>(entry->inode)->m_entries.is_empty())
            return nk::Error::NotEmpty;
        remove(*entry);
        return {};
    }

    nk::ErrorOr rename(const char* name, Inode& new_parent_inode, const char* new_name) override {
        // The VFS only renames within one file system, so the target directory is ours.
        auto& new_parent = static_cast<RamDirectory&>(new_parent_inode);
        Entry* entry = find(name);
        if (!entry)
            return nk::Error::NoEntry;
        Entry* existing = new_parent.find(new_name);
        if (existing == entry)
            return {};
        bool moving_directory = entry->inode->is_directory();
        if (existing) {
            if (moving_directory && !existing->inode->is_directory())
                return nk::Error::NotDirectory;
            if (!moving_directory && existing->inode->is_directory())
                return nk::Error::IsDirectory;
            if (moving_directory &&
                !static_cast<RamDirectory*>(existing->inode)->m_entries.is_empty())
                return nk::Error::NotEmpty;
            new_parent.remove(*existing);
        }
        // The entry itself moves, so a rename never needs memory and cannot fail half-way.
        m_entries.remove(*entry);
        if (moving_directory)
            --m_subdirectories;
        touch();
        strcpy(entry->name, new_name);
        new_parent.m_entries.push_back(*entry);
        if (moving_directory)
            ++new_parent.m_subdirectories;
        new_parent.touch();
        return {};
    }

    nk::Result<bool> read_directory(nk::u64 index, nk::abi::DirEntry& out) override {
        nk::u64 position = 0;
        for (Entry& entry : m_entries) {
            if (position++ != index)
                continue;
            memset(&out, 0, sizeof(out));
            strcpy(out.name, entry.name);
            nk::abi::Stat stat = TRY(entry.inode->stat());
            out.type = stat.type;
            out.size = stat.size;
            return true;
        }
        return false;
    }

    nk::Result<nk::abi::Stat> stat() const override {
        return nk::abi::Stat{m_entries.size(), number(), FileType::Directory, 2 + m_subdirectories,
                             m_modified_ns};
    }

private:
    struct Entry : HeapObject {
        nk::IntrusiveListNode node;
        Inode* inode;
        char name[nk::abi::MAX_NAME];
    };

    RamFs& ram_fs() const { return static_cast<RamFs&>(file_system()); }
    void touch() { m_modified_ns = timestamp_ns(); }

    Entry* find(const char* name) const {
        for (Entry& entry : m_entries) {
            if (strcmp(entry.name, name) == 0)
                return &entry;
        }
        return nullptr;
    }

    // Links a newly made inode (nullptr when its allocation failed) under `name`.
    nk::Result<Inode*> add(const char* name, Inode* inode) {
        if (!inode)
            return nk::Error::NoSpace;
        if (find(name)) {
            inode->unref();
            return nk::Error::Exists;
        }
        auto* entry = new Entry;
        if (!entry) {
            inode->unref();
            return nk::Error::NoSpace;
        }
        entry->inode = inode;
        strcpy(entry->name, name);
        m_entries.push_back(*entry);
        if (inode->is_directory())
            ++m_subdirectories;
        touch();
        // One reference stays with the entry, one goes to the caller.
        inode->ref();
        return inode;
    }

    void remove(Entry& entry) {
        m_entries.remove(entry);
        if (entry.inode->is_directory())
            --m_subdirectories;
        touch();
        release(&entry);
    }

    static void release(Entry* entry) {
        if (!entry->inode->is_directory())
            static_cast<RamFile*>(entry->inode)->set_links(0);
        entry->inode->unref();
        delete entry;
    }

    nk::IntrusiveList<Entry, &Entry::node> m_entries;
    nk::u32 m_subdirectories = 0;
    nk::u64 m_modified_ns = timestamp_ns();
};

} // namespace

nk::Result<RamFs*> RamFs::create() {
    auto* fs = new RamFs;
    if (!fs)
        return nk::Error::NoMemory;
    fs->m_root = new RamDirectory(*fs);
    if (!fs->m_root) {
        delete fs;
        return nk::Error::NoMemory;
    }
    return fs;
}

RamFs::~RamFs() {
    if (m_root)
        m_root->unref();
}

} // namespace kernel::fs
