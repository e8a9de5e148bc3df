#include <kernel/fs/file.h>
#include <kernel/fs/fs.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/process/executable_file.h>

namespace kernel {

ExecutableFile::~ExecutableFile() {
    if (m_data)
        kfree(m_data);
}

nk::Result<ExecutableFile> read_executable(const char* cwd, const char* path) {
    fs::File* file = TRY(fs::vfs().open(cwd, path, nk::abi::O_RDONLY));
    auto release = [&](nk::Error error) -> nk::Result<ExecutableFile> {
        file->unref();
        return error;
    };
    auto stat = file->stat();
    if (stat.is_error())
        return release(stat.error());
    if (stat.value().type == nk::abi::FileType::Directory)
        return release(nk::Error::IsDirectory);
    if (stat.value().type != nk::abi::FileType::Regular)
        return release(nk::Error::BadExec);
    nk::usize size = stat.value().size;
    if (size > MAX_EXECUTABLE_SIZE)
        return release(nk::Error::FileTooBig);
    if (size == 0)
        return release(nk::Error::BadExec);
    auto* data = static_cast<nk::u8*>(kmalloc(size));
    if (!data)
        return release(nk::Error::NoMemory);
    ExecutableFile executable(data, size);
    nk::usize done = 0;
    while (done < size) {
        auto got = file->read(data + done, size - done);
        if (got.is_error())
            return release(got.error());
        if (got.value() == 0)
            return release(nk::Error::IO); // shrank while we read it
        done += got.value();
    }
    file->unref();
    return executable;
}

} // namespace kernel
