// Sockets as the kernel's programs see them: an lwIP socket behind an inode of the socket kind,
// opened as a File so a descriptor reads, writes and closes like any other (read is receive,
// write is send; closing the last descriptor closes the socket). The calls that only sockets
// have take the File and reach the socket through it.
#pragma once

#include <kernel/fs/file.h>
#include <nk/result.h>
#include <nk/syscall_abi.h>
#include <nk/types.h>

namespace kernel::net {

// A new socket of `type`, as an open File (O_RDWR) with a reference for the caller.
nk::Result<fs::File*> open_socket(nk::abi::SocketType type);

// Each: Error::NotSocket unless `file` is a socket; otherwise lwIP's answer as an nk::Error.
nk::ErrorOr connect(fs::File& file, const nk::abi::SocketAddress& address);
// The same, waiting at most `timeout_ms` for the connection: Error::TimedOut after that (the
// socket is then useless; close it).
nk::ErrorOr connect_within(fs::File& file, const nk::abi::SocketAddress& address,
                           nk::u64 timeout_ms);
nk::ErrorOr bind(fs::File& file, const nk::abi::SocketAddress& address);
nk::ErrorOr listen(fs::File& file, int backlog);
// The connection as a new File; `peer` (if not null) gets its address.
nk::Result<fs::File*> accept(fs::File& file, nk::abi::SocketAddress* peer);
nk::Result<nk::usize> send_to(fs::File& file, const nk::u8* data, nk::usize length,
                              const nk::abi::SocketAddress* to);
nk::Result<nk::usize> receive_from(fs::File& file, nk::u8* buffer, nk::usize length,
                                   nk::abi::SocketAddress* from);
nk::ErrorOr set_option(fs::File& file, nk::abi::SocketOption option, nk::u64 value);
nk::ErrorOr shutdown(fs::File& file, nk::abi::ShutdownHow how);
nk::ErrorOr names(fs::File& file, nk::abi::SocketAddress* local, nk::abi::SocketAddress* peer);
// For each entry whose file is a socket, the events that hold (revents); waits up to
// `timeout_ms` (-1: without end) for one. The number of entries with events.
nk::Result<nk::usize> poll(fs::File* const* files, nk::abi::PollEntry* entries, nk::usize count,
                           nk::i64 timeout_ms);

// Sockets open now (for leak checks and netstat).
nk::usize open_socket_count();

} // namespace kernel::net
