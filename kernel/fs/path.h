// Path names: turning what a program passes (absolute, or relative to its working directory)
// into one normalised absolute form before the VFS walks it.
//
// Normalisation is lexical: "." is dropped, ".." removes the previous component (and stays at
// "/" at the root), repeated slashes collapse. The tree has no symbolic links and no directory
// hard links, so this gives the same directory a walk would reach; it also means "/file/.." is
// "/" rather than ENOTDIR. Crossing a mount point upwards is just this removal of a component.
#pragma once

#include <nk/result.h>
#include <nk/syscall_abi.h>
#include <nk/types.h>

namespace kernel::fs {

class Path {
public:
    // `path` relative to `cwd` (a normalised absolute path; ignored when `path` is absolute).
    // Errors: NoEntry for an empty path, NameTooLong when `path` or the result does not fit in
    // abi::MAX_PATH (with its NUL) or a component does not fit in abi::MAX_NAME (with its NUL),
    // Invalid when `cwd` is not absolute while `path` is relative.
    static nk::Result<Path> resolve(const char* cwd, const char* path);
    // The root, "/".
    Path() = default;

    const char* c_str() const { return m_text; }
    nk::usize length() const { return m_length; }
    bool is_root() const { return m_length == 1; }
    // The text ended in "/", "/." or "/..", so whatever it names must be a directory.
    bool requires_directory() const { return m_requires_directory; }

    // The last component ("" for the root); a NUL-terminated tail of c_str().
    const char* last_name() const;
    // Everything but the last component; the root's parent is the root.
    Path parent() const;
    // True when this path is `ancestor` or lies below it.
    bool is_within(const Path& ancestor) const;
    bool operator==(const Path& other) const;

    // Copies the component starting at `position` (initially 0) into `name`, advances
    // `position`; false when there are no more components.
    bool next_component(nk::usize& position, char (&name)[nk::abi::MAX_NAME]) const;

private:
    char m_text[nk::abi::MAX_PATH] = {'/', '\0'};
    nk::u16 m_length = 1;
    bool m_requires_directory = true;
};

} // namespace kernel::fs
