// Moving data across the user/kernel boundary. Every user pointer is checked against the
// current process's page tables before it is touched, so a bad pointer gives Error::Fault and
// never a kernel page fault. (Processes have one thread, so nothing can unmap the pages between
// the check and the copy.)
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace kernel::user {

// Error::Fault unless the whole range is mapped for user access (writable when `write`).
nk::ErrorOr check(nk::u64 address, nk::usize length, bool write);
nk::ErrorOr copy_from(void* kernel_destination, nk::u64 user_source, nk::usize length);
nk::ErrorOr copy_to(nk::u64 user_destination, const void* kernel_source, nk::usize length);
// Copies a NUL-terminated string of at most capacity-1 characters. Error::NameTooLong when no
// NUL comes within that many bytes.
nk::Result<nk::usize> copy_string(char* destination, nk::usize capacity, nk::u64 user_source);

template <typename T>
nk::ErrorOr read(T& value, nk::u64 user_source) {
    return copy_from(&value, user_source, sizeof(T));
}
template <typename T>
nk::ErrorOr write(nk::u64 user_destination, const T& value) {
    return copy_to(user_destination, &value, sizeof(T));
}

} // namespace kernel::user
