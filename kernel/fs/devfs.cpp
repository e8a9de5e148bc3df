#include <kernel/fs/devfs.h>
#include <kernel/fs/inode.h>
#include <kernel/fs/timestamp.h>

#include <string.h>

namespace kernel::fs {

using nk::abi::FileType;

// A registered device. read() and write() run without the VFS lock, so they touch only the
// members fixed at registration.
class DeviceInode final : public Inode {
public:
    DeviceInode(DevFs& fs, const char* name, const CharDeviceOps& ops, void* context)
        : Inode(fs, FileType::CharDevice, fs.allocate_inode_number()), m_ops(ops),
          m_context(context) {
        strcpy(m_name, name);
    }

    const char* name() const { return m_name; }

    nk::Result<nk::usize> read(nk::u64, nk::u8* buffer, nk::usize length) override {
        if (!m_ops.read)
            return nk::Error::Invalid;
        return m_ops.read(m_context, buffer, length);
    }
    nk::Result<nk::usize> write(nk::u64, const nk::u8* buffer, nk::usize length) override {
        if (!m_ops.write)
            return nk::Error::Invalid;
        return m_ops.write(m_context, buffer, length);
    }
    nk::Result<nk::abi::Stat> stat() const override {
        return nk::abi::Stat{0, number(), FileType::CharDevice, m_linked ? 1u : 0u,
                             m_registered_ns};
    }
    void set_unlinked() { m_linked = false; }

    nk::IntrusiveListNode node;

private:
    bool m_linked = true;
    char m_name[nk::abi::MAX_NAME];
    const CharDeviceOps m_ops;
    void* const m_context;
    nk::u64 m_registered_ns = timestamp_ns();
};

namespace {

// The one directory of devfs. Programs cannot create or remove entries; only the kernel
// registers devices.
class DevDirectory final : public Inode {
public:
    DevDirectory(DevFs& fs) : Inode(fs, FileType::Directory, fs.allocate_inode_number()) {}
    ~DevDirectory() override {
        while (DeviceInode* device = m_devices.pop_front())
            device->unref();
    }

    DeviceInode* find(const char* name) const {
        for (DeviceInode& device : m_devices) {
            if (strcmp(device.name(), name) == 0)
                return &device;
        }
        return nullptr;
    }
    void add(DeviceInode& device) {
        m_devices.push_back(device);
        m_modified_ns = timestamp_ns();
    }
    void remove(DeviceInode& device) {
        m_devices.remove(device);
        device.set_unlinked();
        m_modified_ns = timestamp_ns();
        device.unref();
    }

    nk::Result<Inode*> lookup(const char* name) override {
        DeviceInode* device = find(name);
        if (!device)
            return nk::Error::NoEntry;
        device->ref();
        return device;
    }
    nk::Result<Inode*> create_file(const char* name) override { return refuse_create(name); }
    nk::Result<Inode*> make_directory(const char* name) override { return refuse_create(name); }
    nk::ErrorOr unlink(const char* name) override { return refuse_change(name); }
    nk::ErrorOr remove_directory(const char* name) override {
        return find(name) ? nk::Error::NotDirectory : nk::Error::NoEntry;
    }
    nk::ErrorOr rename(const char* name, Inode&, const char*) override {
        return refuse_change(name);
    }

    nk::Result<bool> read_directory(nk::u64 index, nk::abi::DirEntry& out) override {
        nk::u64 position = 0;
        for (DeviceInode& device : m_devices) {
            if (position++ != index)
                continue;
            memset(&out, 0, sizeof(out));
            strcpy(out.name, device.name());
            out.type = FileType::CharDevice;
            return true;
        }
        return false;
    }

    nk::Result<nk::abi::Stat> stat() const override {
        return nk::abi::Stat{m_devices.size(), number(), FileType::Directory, 2, m_modified_ns};
    }

private:
    nk::Error refuse_create(const char* name) const {
        return find(name) ? nk::Error::Exists : nk::Error::NotPermitted;
    }
    nk::Error refuse_change(const char* name) const {
        return find(name) ? nk::Error::NotPermitted : nk::Error::NoEntry;
    }

    nk::IntrusiveList<DeviceInode, &DeviceInode::node> m_devices;
    nk::u64 m_modified_ns = timestamp_ns();
};

DevDirectory& directory_of(Inode& root) {
    return static_cast<DevDirectory&>(root);
}

} // namespace

nk::Result<DevFs*> DevFs::create() {
    auto* fs = new DevFs;
    if (!fs)
        return nk::Error::NoMemory;
    fs->m_root = new DevDirectory(*fs);
    if (!fs->m_root) {
        delete fs;
        return nk::Error::NoMemory;
    }
    return fs;
}

DevFs::~DevFs() {
    if (m_root)
        m_root->unref();
}

Inode& DevFs::root() {
    return *m_root;
}

nk::ErrorOr DevFs::register_device(const char* name, const CharDeviceOps& ops, void* context) {
    nk::usize length = strnlen(name, nk::abi::MAX_NAME);
    if (length == 0 || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return nk::Error::Invalid;
    if (length == nk::abi::MAX_NAME)
        return nk::Error::NameTooLong;
    DevDirectory& directory = directory_of(*m_root);
    if (directory.find(name))
        return nk::Error::Exists;
    auto* device = new DeviceInode(*this, name, ops, context);
    if (!device)
        return nk::Error::NoMemory;
    directory.add(*device);
    return {};
}

nk::ErrorOr DevFs::unregister_device(const char* name) {
    DevDirectory& directory = directory_of(*m_root);
    DeviceInode* device = directory.find(name);
    if (!device)
        return nk::Error::NoEntry;
    // The directory's reference is the only one when nothing has the device open.
    if (device->reference_count() > 1)
        return nk::Error::Busy;
    directory.remove(*device);
    return {};
}

namespace {

nk::Result<nk::usize> null_read(void*, nk::u8*, nk::usize) {
    return nk::usize(0);
}
nk::Result<nk::usize> zero_read(void*, nk::u8* buffer, nk::usize length) {
    memset(buffer, 0, length);
    return length;
}
nk::Result<nk::usize> discard_write(void*, const nk::u8*, nk::usize length) {
    return length;
}

constexpr CharDeviceOps NULL_OPS = {null_read, discard_write};
constexpr CharDeviceOps ZERO_OPS = {zero_read, discard_write};

} // namespace

nk::ErrorOr register_standard_devices(DevFs& devfs) {
    TRY(devfs.register_device("null", NULL_OPS, nullptr));
    TRY(devfs.register_device("zero", ZERO_OPS, nullptr));
    return {};
}

} // namespace kernel::fs
