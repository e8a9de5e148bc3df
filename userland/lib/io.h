// Whole-buffer and whole-file I/O on descriptors: Write and Read may move fewer bytes than asked.
#pragma once

#include <nk/result.h>
#include <nk/types.h>

namespace user {

constexpr int STDIN = 0;
constexpr int STDOUT = 1;
constexpr int STDERR = 2;

// Writes every byte, retrying short writes.
nk::ErrorOr write_all(int fd, const void* data, nk::usize length);
nk::ErrorOr write_string(int fd, const char* text);

// Which descriptor a failed copy_fd was using, so the caller can name the right file.
enum class CopySide { Read, Write };

// Copies from `from` until its end of file; returns the number of bytes copied.
nk::Result<nk::u64> copy_fd(int from, int to, CopySide* failed_side = nullptr);

} // namespace user
