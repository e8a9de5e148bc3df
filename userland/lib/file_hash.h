// The SHA-256 of a file's whole content, read in 64 KiB pieces (sha256sum, diskcheck).
#pragma once

#include <nk/result.h>
#include <sha256.h>

namespace user {

using Sha256Hex = char[2 * nk::Sha256::DIGEST_SIZE + 1];

// 64 lowercase hex digits into `hex`; the error of the open or of a read otherwise.
nk::ErrorOr sha256_file(const char* path, Sha256Hex& hex);

} // namespace user
