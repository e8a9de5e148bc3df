// The kernel's file-system tree: a ramfs at "/", devfs at "/dev", the initrd unpacked into "/".
//
// The system call layer works through vfs() (open, stat, mkdir, unlink, rmdir, rename,
// truncate, resolve_directory — see vfs.h), the Files it returns (file.h) and each process's
// FileTable (file_table.h).
#pragma once

#include <kernel/fs/devfs.h>
#include <kernel/fs/tar.h>
#include <kernel/fs/vfs.h>
#include <nk/result.h>

namespace kernel::fs {

// Creates the root ramfs, mounts it at "/", creates /dev with devfs on it, and registers
// /dev/null and /dev/zero. Once, after the scheduler and the clock; panics on failure.
void init();
bool is_initialized();

Vfs& vfs();

// Unpacks an initrd archive into "/" (see tar.h for the format and the errors).
nk::Result<TarSummary> extract_initrd(const nk::u8* data, nk::usize size);

// A character device at /dev/`name` (e.g. "console"); see devfs.h.
nk::ErrorOr register_char_device(const char* name, const CharDeviceOps& ops, void* context);

} // namespace kernel::fs
