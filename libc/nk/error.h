// The kernel's error codes. Values are the POSIX errno numbers so that the syscall layer can hand
// them to user space unchanged (as -errno) and the shell can print them in words.
#pragma once

namespace nk {

enum class Error : int {
    NotPermitted = 1,        // EPERM
    NoEntry = 2,             // ENOENT
    IO = 5,                  // EIO
    TooBig = 7,              // E2BIG
    BadExec = 8,             // ENOEXEC
    BadHandle = 9,           // EBADF
    NoChild = 10,            // ECHILD
    Again = 11,              // EAGAIN
    NoMemory = 12,           // ENOMEM
    Fault = 14,              // EFAULT
    Busy = 16,               // EBUSY
    Exists = 17,             // EEXIST
    NoDevice = 19,           // ENODEV
    NotDirectory = 20,       // ENOTDIR
    IsDirectory = 21,        // EISDIR
    Invalid = 22,            // EINVAL
    TooManyFiles = 24,       // EMFILE
    FileTooBig = 27,         // EFBIG
    NoSpace = 28,            // ENOSPC
    Range = 34,              // ERANGE
    NameTooLong = 36,        // ENAMETOOLONG
    NotImplemented = 38,     // ENOSYS
    NotEmpty = 39,           // ENOTEMPTY
    Overflow = 75,           // EOVERFLOW
    Pipe = 32,               // EPIPE: writing to a connection the peer closed
    NotSocket = 88,          // ENOTSOCK
    AddressInUse = 98,       // EADDRINUSE
    NotSupported = 95,       // EOPNOTSUPP
    NetUnreachable = 101,    // ENETUNREACH
    ConnectionAborted = 103, // ECONNABORTED
    ConnectionReset = 104,   // ECONNRESET
    NoBuffers = 105,         // ENOBUFS
    IsConnected = 106,       // EISCONN
    NotConnected = 107,      // ENOTCONN
    TimedOut = 110,          // ETIMEDOUT
    ConnectionRefused = 111, // ECONNREFUSED
    HostUnreachable = 113,   // EHOSTUNREACH
    Already = 114,           // EALREADY
    InProgress = 115,        // EINPROGRESS
    Corrupt = 117,           // EUCLEAN: on-disk or in-memory structure is malformed
    Quota = 122,             // EDQUOT: an extension reached one of its resource limits
    Aborted = 125,           // ECANCELED: e.g. an extension crossing aborted by recovery
};

// "ENOENT"
const char* error_name(Error error);
// "No such file or directory"
const char* error_string(Error error);

} // namespace nk
