// Mounting a file system an extension registered (nooks/fs.h): the kernel's VFS sees a
// kernel::fs::FileSystem whose inodes forward every operation to the extension's request op —
// through a crossing, with the request and the data in a bounce buffer in its heap, when it is
// isolated. If an isolated file system crashes, its volumes stay mounted and are mounted again
// on the restarted extension; the request cut short is replayed (fs_proxy.cpp). If it does not
// come back, operations on its volumes fail until they are unmounted.
#pragma once

#include <nk/result.h>
#include <nooks/fs.h>

namespace kernel::fs {
class FileSystem;
}

namespace nooks {

// `mount TYPE DEVICE PATH`: Error::NoDevice for an unknown type or when the extension behind
// it is not running, the extension's own error when its mount op refuses, the
// VFS's errors for the mount point.
nk::ErrorOr mount_file_system(const char* type, const char* device, const char* cwd,
                              const char* path);
// `umount PATH`: Error::Invalid when nothing is mounted there, Error::Permission for a file
// system the kernel mounted itself (ramfs, devfs), Error::Busy while files are open on it.
nk::ErrorOr unmount_file_system(const char* cwd, const char* path);
// Mounted volumes of extension file systems (for leak checks).
nk::usize mounted_volume_count();

struct Extension;
// End of a recovery of `extension`: its orphaned volumes are mounted again on the restarted
// extension, or end (their operations fail) when it did not come back.
void finish_fs_recovery(Extension& extension);
// "volume /disk on hda: ..." lines for `ext stats`.
nk::usize format_fs_recovery(const Extension& extension, char* buffer, nk::usize size);
// Space on a mounted extension volume (`df`); Error::NotSupported for other file systems.
nk::Result<nooks_fs_usage> volume_usage(kernel::fs::FileSystem& file_system);
// The device an extension volume was mounted from ("hda"), or nullptr for other file systems.
const char* volume_device(kernel::fs::FileSystem& file_system);
// Asks every mounted extension volume to write back what it caches (NOOKS_FS_SYNC).
nk::ErrorOr sync_volumes();

} // namespace nooks
