// An executable read whole into kernel memory for the loader, freed when it goes out of scope.
#pragma once

#include <nk/result.h>
#include <nk/types.h>
#include <nk/utility.h>

namespace kernel {

class ExecutableFile {
public:
    ExecutableFile(nk::u8* data, nk::usize size) : m_data(data), m_size(size) {}
    ExecutableFile(ExecutableFile&& other) : m_data(other.m_data), m_size(other.m_size) {
        other.m_data = nullptr;
        other.m_size = 0;
    }
    ExecutableFile(const ExecutableFile&) = delete;
    ExecutableFile& operator=(const ExecutableFile&) = delete;
    ~ExecutableFile();

    const nk::u8* data() const { return m_data; }
    nk::usize size() const { return m_size; }

private:
    nk::u8* m_data;
    nk::usize m_size;
};

// The largest executable the loader accepts (the kernel heap's largest block).
constexpr nk::usize MAX_EXECUTABLE_SIZE = 4 * 1024 * 1024 - 4096;

// Errors: the VFS's (ENOENT, ENOTDIR, EISDIR...), Error::FileTooBig, Error::NoMemory.
nk::Result<ExecutableFile> read_executable(const char* cwd, const char* path);

} // namespace kernel
