#include <kernel/fs/inode.h>

namespace kernel::fs {

namespace {

// What a directory operation on an inode that does not implement it fails with.
nk::Error directory_error(const Inode& inode) {
    return inode.is_directory() ? nk::Error::NotSupported : nk::Error::NotDirectory;
}

nk::Error data_error(const Inode& inode) {
    return inode.is_directory() ? nk::Error::IsDirectory : nk::Error::Invalid;
}

} // namespace

nk::Result<Inode*> Inode::lookup(const char*) {
    return directory_error(*this);
}
nk::Result<Inode*> Inode::create_file(const char*) {
    return directory_error(*this);
}
nk::Result<Inode*> Inode::make_directory(const char*) {
    return directory_error(*this);
}
nk::ErrorOr Inode::unlink(const char*) {
    return directory_error(*this);
}
nk::ErrorOr Inode::remove_directory(const char*) {
    return directory_error(*this);
}
nk::ErrorOr Inode::rename(const char*, Inode&, const char*) {
    return directory_error(*this);
}
nk::Result<bool> Inode::read_directory(nk::u64, nk::abi::DirEntry&) {
    return directory_error(*this);
}

nk::Result<nk::usize> Inode::read(nk::u64, nk::u8*, nk::usize) {
    return data_error(*this);
}
nk::Result<nk::usize> Inode::write(nk::u64, const nk::u8*, nk::usize) {
    return data_error(*this);
}
nk::ErrorOr Inode::truncate(nk::u64) {
    return data_error(*this);
}

} // namespace kernel::fs
