#include <nk/error.h>

namespace nk {

namespace {

struct ErrorText {
    Error error;
    const char* name;
    const char* text;
};

constexpr ErrorText error_texts[] = {
    {Error::NotPermitted, "EPERM", "Operation not permitted"},
    {Error::NoEntry, "ENOENT", "No such file or directory"},
    {Error::IO, "EIO", "Input/output error"},
    {Error::TooBig, "E2BIG", "Argument list too long"},
    {Error::BadExec, "ENOEXEC", "Exec format error"},
    {Error::BadHandle, "EBADF", "Bad file descriptor"},
    {Error::NoChild, "ECHILD", "No child processes"},
    {Error::Again, "EAGAIN", "Resource temporarily unavailable"},
    {Error::NoMemory, "ENOMEM", "Out of memory"},
    {Error::Fault, "EFAULT", "Bad address"},
    {Error::Busy, "EBUSY", "Device or resource busy"},
    {Error::Exists, "EEXIST", "File exists"},
    {Error::NoDevice, "ENODEV", "No such device"},
    {Error::NotDirectory, "ENOTDIR", "Not a directory"},
    {Error::IsDirectory, "EISDIR", "Is a directory"},
    {Error::Invalid, "EINVAL", "Invalid argument"},
    {Error::TooManyFiles, "EMFILE", "Too many open files"},
    {Error::FileTooBig, "EFBIG", "File too large"},
    {Error::NoSpace, "ENOSPC", "No space left on device"},
    {Error::Range, "ERANGE", "Result out of range"},
    {Error::NameTooLong, "ENAMETOOLONG", "File name too long"},
    {Error::NotImplemented, "ENOSYS", "Function not implemented"},
    {Error::NotEmpty, "ENOTEMPTY", "Directory not empty"},
    {Error::Overflow, "EOVERFLOW", "Value too large"},
    {Error::Pipe, "EPIPE", "Broken pipe (the peer closed the connection)"},
    {Error::NotSocket, "ENOTSOCK", "Not a socket"},
    {Error::AddressInUse, "EADDRINUSE", "Address already in use"},
    {Error::NotSupported, "EOPNOTSUPP", "Operation not supported"},
    {Error::NetUnreachable, "ENETUNREACH", "Network is unreachable"},
    {Error::ConnectionAborted, "ECONNABORTED", "Connection aborted"},
    {Error::ConnectionReset, "ECONNRESET", "Connection reset by peer"},
    {Error::NoBuffers, "ENOBUFS", "No buffer space available"},
    {Error::IsConnected, "EISCONN", "Already connected"},
    {Error::NotConnected, "ENOTCONN", "Not connected"},
    {Error::TimedOut, "ETIMEDOUT", "Timed out"},
    {Error::ConnectionRefused, "ECONNREFUSED", "Connection refused"},
    {Error::HostUnreachable, "EHOSTUNREACH", "No route to host"},
    {Error::Already, "EALREADY", "Operation already in progress"},
    {Error::InProgress, "EINPROGRESS", "Operation in progress"},
    {Error::Corrupt, "EUCLEAN", "Structure needs cleaning (corrupt data)"},
    {Error::Quota, "EDQUOT", "Resource limit of the extension reached"},
    {Error::Aborted, "ECANCELED", "Operation aborted"},
};

const ErrorText* find(Error error) {
    for (const auto& entry : error_texts) {
        if (entry.error == error)
            return &entry;
    }
    return nullptr;
}

} // namespace

const char* error_name(Error error) {
    const ErrorText* entry = find(error);
    return entry ? entry->name : "E?";
}

const char* error_string(Error error) {
    const ErrorText* entry = find(error);
    return entry ? entry->text : "Unknown error";
}

} // namespace nk
