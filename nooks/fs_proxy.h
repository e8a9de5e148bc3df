// Mounting a file system an extension registered (nooks/fs.h): the kernel's VFS sees a
// kernel::fs::FileSystem whose inodes forward every operation to the extension's request op —
// through a crossing, with the request and the data in a bounce buffer in its heap, when it is
// isolated. If the extension crashes, its volumes stay mounted but every operation on them
// fails (Error::NoDevice) until they are unmounted; a mount made after the restart works again.
#pragma once

#include <nk/result.h>

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

} // namespace nooks
