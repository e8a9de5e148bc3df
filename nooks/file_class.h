// The kernel side of nooks/file.h: read-only VFS access below the root an extension was given
// (its `root=` parameter), and sending a file's bytes to one of its sockets without them passing
// through the extension. The native exports and the isolated wrappers both land here; the
// wrappers have checked the handles and out-buffers, and copied the path.
#pragma once

#include <nk/types.h>
#include <nooks/file.h>

namespace nooks {

struct Extension;

nk_status file_stat(Extension& extension, const char* path, nk_file_info* out);
long dir_list(Extension& extension, const char* path, nk::u64 start, nk_dir_entry* entries,
              nk::u32 max);
// `request` is the kernel's own copy; its head was checked readable and its receive buffer
// writable by the caller. The receive's result is left in `*received`.
long socket_send_file(Extension& extension, nk_socket_handle socket, const char* path,
                      const nk_send_file& request, nk::i64* received);

} // namespace nooks
