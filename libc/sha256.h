// SHA-256 (FIPS 180-4, section 6.2): for checking file contents against the host's copies
// (sha256sum, the storage self tests). Incremental: update() any number of times, then finish().
#pragma once

#include <nk/types.h>

namespace nk {

class Sha256 {
public:
    static constexpr usize DIGEST_SIZE = 32;

    Sha256();
    void update(const void* data, usize length);
    // Pads, finishes and writes the digest; the object must not be updated afterwards.
    void finish(u8 (&digest)[DIGEST_SIZE]);
    // 64 lowercase hex digits and a NUL.
    static void to_hex(const u8 (&digest)[DIGEST_SIZE], char (&out)[2 * DIGEST_SIZE + 1]);

private:
    void compress(const u8* block);

    u32 m_state[8];
    u8 m_block[64];
    usize m_used = 0;
    u64 m_length = 0; // bytes so far
};

} // namespace nk
