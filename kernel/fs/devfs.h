// devfs, mounted at /dev: character devices registered by name. A device is a pair of
// callbacks and a context pointer; the VFS calls them without holding its lock, so a device may
// block (a console read waits for input) without stalling every other file operation.
#pragma once

#include <kernel/fs/file_system.h>
#include <nk/intrusive_list.h>
#include <nk/result.h>

namespace kernel::fs {

struct CharDeviceOps {
    // Bytes read (0: end of input). nullptr: the device cannot be read (Invalid).
    nk::Result<nk::usize> (*read)(void* context, nk::u8* buffer, nk::usize length);
    // Bytes written. nullptr: the device cannot be written (Invalid).
    nk::Result<nk::usize> (*write)(void* context, const nk::u8* buffer, nk::usize length);
};

class DeviceInode;

class DevFs final : public FileSystem {
public:
    static nk::Result<DevFs*> create();
    ~DevFs() override;

    Inode& root() override;
    const char* name() const override { return "devfs"; }

    // Under the VFS lock. Exists when the name is taken, NameTooLong past abi::MAX_NAME - 1,
    // Invalid for an empty name or one containing '/'.
    nk::ErrorOr register_device(const char* name, const CharDeviceOps& ops, void* context);
    // Under the VFS lock. Busy while the device is open (its callbacks may still run).
    nk::ErrorOr unregister_device(const char* name);

    nk::u64 allocate_inode_number() { return m_next_inode_number++; }

private:
    DevFs() = default;

    Inode* m_root = nullptr;
    nk::u64 m_next_inode_number = 1;
};

// /dev/null (reads end at once, writes vanish) and /dev/zero (reads zeros, writes vanish).
nk::ErrorOr register_standard_devices(DevFs& devfs);

} // namespace kernel::fs
