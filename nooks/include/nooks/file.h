/* Read-only files for extensions (the web server): the kernel's VFS below a root directory the
 * extension was given by its load parameter `root=` (e.g. root=/disk). Paths are relative to
 * that root ("/" is the root itself); a ".." component, a backslash or a path with no root set
 * is refused with -NK_EPERM. Each call is one crossing; file data never passes through the
 * extension: nk_socket_send_file has the kernel move it from the file to a socket. */
#pragma once

#include <nooks/socket.h>
#include <nooks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NK_FILE_PATH_MAX 256
#define NK_FILE_NAME_MAX 64

enum nk_file_type { NK_FILE_REGULAR = 1, NK_FILE_DIRECTORY = 2 };

struct nk_file_info {
    uint64_t size;
    uint64_t modified; /* seconds since 1970 (UTC), 0 when the file system keeps no time */
    uint32_t type;     /* enum nk_file_type */
    uint32_t reserved;
};

struct nk_dir_entry {
    char name[NK_FILE_NAME_MAX];
    uint64_t size;
    uint32_t type; /* enum nk_file_type */
    uint32_t reserved;
};

nk_status nk_file_stat(const char* path, struct nk_file_info* out);
/* The entries of directory `path` from the `start`-th on ("." and ".." left out), at most `max`
 * (at most NK_DIR_LIST_MAX): how many were written, 0 past the end. */
#define NK_DIR_LIST_MAX 256
long nk_dir_list(const char* path, uint64_t start, struct nk_dir_entry* entries, uint32_t max);
/* What nk_socket_send_file sends: `head_length` bytes of `head` (a response header; may be 0),
 * then `length` bytes of the file from `offset`. With `check` set, the file must still have
 * `expected.size` and `expected.modified` (what an earlier nk_file_stat said — a caller may keep
 * those), or nothing is sent and the call fails with -NK_ESTALE.
 * Then, when all of it went out and `receive_size` is not 0, the call goes on as
 * nk_socket_receive(socket, receive, receive_size, receive_timeout_ms) would — the next request
 * of a keep-alive connection, without a second crossing — and leaves that result in `received`
 * (bytes, 0 when the peer closed, or -errno such as -NK_ETIMEDOUT); otherwise `received` is
 * -NK_ECANCELED. */
struct nk_send_file {
    const void* head;
    uint64_t head_length;
    uint64_t offset;
    uint64_t length;
    struct nk_file_info expected;
    uint32_t check;
    uint32_t reserved;
    void* receive;
    uint64_t receive_size;
    uint64_t receive_timeout_ms;
    int64_t received;
};
/* Sends `request` on `socket` with the file at `path`. Returns how many bytes of head and file
 * together went out; fewer than asked when the peer stopped taking them within
 * NK_SOCKET_WAIT_MAX_MS (call again for the rest), or -errno (-NK_EIO when the file ends before
 * offset + length, -NK_ESTALE for a failed check). */
long nk_socket_send_file(nk_socket_handle socket, const char* path,
                         struct nk_send_file* request);

#ifdef __cplusplus
}
#endif
