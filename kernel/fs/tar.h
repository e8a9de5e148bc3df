// The initrd: a ustar archive (POSIX.1-1988, as `tar --format=ustar` writes it; GNU's "ustar  "
// magic is accepted too) unpacked into a directory at boot.
//
// The archive is untrusted input: every header's checksum and numeric fields are checked and
// every size is bounded by the buffer before anything is created for that entry, so a malformed
// archive stops with Corrupt after extracting only the entries before the bad one, and nothing is
// read outside the buffer. Member names may not climb out of the target: ".." is Corrupt, and a
// leading "/" is dropped (the name is taken relative to the target, as GNU tar does).
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace kernel::fs {

class Inode;

struct TarSummary {
    nk::u32 files;       // regular files created (or overwritten)
    nk::u32 directories; // directory entries (including ones that already existed)
    nk::u32 skipped;     // other kinds: links, devices, FIFOs, pax and GNU extension headers
    nk::u64 bytes;       // file data written
};

// Extracts into the directory `target` through the Inode interface (the caller holds whatever
// lock the inodes need). Missing parent directories are created; an existing file is
// overwritten. The archive ends at two (or one) zero blocks or at a clean end of the buffer.
// Errors: Corrupt (malformed), NameTooLong (a component of abi::MAX_NAME bytes or more), the
// file system's errors (NoSpace; NotDirectory / IsDirectory when an entry conflicts with what
// exists).
nk::Result<TarSummary> extract_tar(const nk::u8* data, nk::usize size, Inode& target);

} // namespace kernel::fs
