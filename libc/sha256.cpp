#include <sha256.h>

namespace nk {

namespace {

// FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first
// 64 primes.
constexpr u32 K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr u32 rotr(u32 x, unsigned n) {
    return (x >> n) | (x << (32 - n));
}

} // namespace

Sha256::Sha256() {
    // FIPS 180-4 5.3.3: the initial hash value.
    const u32 initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                            0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (int i = 0; i < 8; ++i)
        m_state[i] = initial[i];
}

void Sha256::compress(const u8* block) {
    u32 w[64];
    for (int t = 0; t < 16; ++t)
        w[t] = u32(block[4 * t]) << 24 | u32(block[4 * t + 1]) << 16 | u32(block[4 * t + 2]) << 8 |
               u32(block[4 * t + 3]);
    for (int t = 16; t < 64; ++t) {
        u32 s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        u32 s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    u32 a = m_state[0], b = m_state[1], c = m_state[2], d = m_state[3];
    u32 e = m_state[4], f = m_state[5], g = m_state[6], h = m_state[7];
    for (int t = 0; t < 64; ++t) {
        u32 t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
        u32 t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    m_state[0] += a;
    m_state[1] += b;
    m_state[2] += c;
    m_state[3] += d;
    m_state[4] += e;
    m_state[5] += f;
    m_state[6] += g;
    m_state[7] += h;
}

void Sha256::update(const void* data, usize length) {
    auto* bytes = static_cast<const u8*>(data);
    m_length += length;
    while (length) {
        usize take = 64 - m_used < length ? 64 - m_used : length;
        for (usize i = 0; i < take; ++i)
            m_block[m_used + i] = bytes[i];
        m_used += take;
        bytes += take;
        length -= take;
        if (m_used == 64) {
            compress(m_block);
            m_used = 0;
        }
    }
}

void Sha256::finish(u8 (&digest)[DIGEST_SIZE]) {
    // FIPS 180-4 5.1.1: a 1 bit, zeros to 56 mod 64 bytes, the length in bits (big endian).
    u64 bits = m_length * 8;
    u8 one = 0x80;
    update(&one, 1);
    u8 zero = 0;
    while (m_used != 56)
        update(&zero, 1);
    u8 length[8];
    for (int i = 0; i < 8; ++i)
        length[i] = u8(bits >> (56 - 8 * i));
    update(length, 8);
    for (int i = 0; i < 8; ++i) {
        digest[4 * i] = u8(m_state[i] >> 24);
        digest[4 * i + 1] = u8(m_state[i] >> 16);
        digest[4 * i + 2] = u8(m_state[i] >> 8);
        digest[4 * i + 3] = u8(m_state[i]);
    }
}

void Sha256::to_hex(const u8 (&digest)[DIGEST_SIZE], char (&out)[2 * DIGEST_SIZE + 1]) {
    const char* digits = "0123456789abcdef";
    for (usize i = 0; i < DIGEST_SIZE; ++i) {
        out[2 * i] = digits[digest[i] >> 4];
        out[2 * i + 1] = digits[digest[i] & 15];
    }
    out[2 * DIGEST_SIZE] = 0;
}

} // namespace nk
