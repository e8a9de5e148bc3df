#include <arch/x86/user_access.h>
#include <kernel/memory/address_space.h>
#include <kernel/memory/frame_allocator.h>
#include <kernel/memory/layout.h>
#include <kernel/process/processes.h>
#include <kernel/syscall/user_memory.h>

#include <string.h>

namespace kernel::user {

namespace {

bool accessible(nk::u64 address, nk::usize length, bool write) {
    Process* process = processes::current();
    return process && process->space && process->space->is_user_range(address, length, write);
}

} // namespace

nk::ErrorOr check(nk::u64 address, nk::usize length, bool write) {
    if (length == 0 || accessible(address, length, write))
        return {};
    return nk::Error::Fault;
}

nk::ErrorOr copy_from(void* kernel_destination, nk::u64 user_source, nk::usize length) {
    if (length == 0)
        return {};
    if (!accessible(user_source, length, false))
        return nk::Error::Fault;
    x86::UserAccessWindow window;
    memcpy(kernel_destination, reinterpret_cast<const void*>(user_source), length);
    return {};
}

nk::ErrorOr copy_to(nk::u64 user_destination, const void* kernel_source, nk::usize length) {
    if (length == 0)
        return {};
    if (!accessible(user_destination, length, true))
        return nk::Error::Fault;
    x86::UserAccessWindow window;
    memcpy(reinterpret_cast<void*>(user_destination), kernel_source, length);
    return {};
}

nk::Result<nk::usize> copy_string(char* destination, nk::usize capacity, nk::u64 user_source) {
    // Page by page: a string may end right before an unmapped page.
    nk::usize copied = 0;
    while (copied < capacity) {
        nk::u64 address = user_source + copied;
        nk::usize in_page = FRAME_SIZE - (address % FRAME_SIZE);
        nk::usize chunk = in_page < capacity - copied ? in_page : capacity - copied;
        if (!accessible(address, chunk, false))
            return nk::Error::Fault;
        x86::UserAccessWindow window;
        const char* source = reinterpret_cast<const char*>(address);
        for (nk::usize i = 0; i < chunk; ++i) {
            destination[copied] = source[i];
            if (source[i] == 0)
                return copied;
            ++copied;
        }
    }
    destination[capacity - 1] = 0;
    return nk::Error::NameTooLong;
}

} // namespace kernel::user
