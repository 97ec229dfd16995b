#include "platform/sha256.hpp"

// OpenSSL 3's EVP interface looks the digest up among its providers, and the first lookup
// initialises them and reads openssl.cnf: about a quarter of a one-shot `airlock exec`'s
// instructions. The low-level SHA-256 functions (deprecated, still part of OpenSSL 3) hash
// without any of that, and linked statically they pull in only the hash: a single use of EVP,
// HMAC() or RAND_bytes() anywhere in the binary links the provider machinery (hundreds of KB of
// tables the loader must relocate, and page faults, at every start; docs/PERFORMANCE.md).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>

namespace airlock {

namespace {

constexpr std::size_t kBlock = 64;  // SHA-256's block size

}  // namespace

Sha256Digest sha256(std::string_view bytes) {
    Sha256Digest digest{};
    // Not SHA256(): in OpenSSL 3 that one-shot goes through EVP again.
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, bytes.data(), bytes.size());
    SHA256_Final(digest.data(), &ctx);
    return digest;
}

std::string sha256_hex(std::string_view bytes) {
    const Sha256Digest digest = sha256(bytes);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(digest.size() * 2);
    for (unsigned char b : digest) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xf]);
    }
    return out;
}

Sha256Digest hmac_sha256(std::string_view key, std::string_view data) {
    std::array<unsigned char, kBlock> block{};
    if (key.size() > kBlock) {
        const Sha256Digest hashed = sha256(key);
        std::copy(hashed.begin(), hashed.end(), block.begin());
    } else {
        std::copy(key.begin(), key.end(), block.begin());
    }
    std::array<unsigned char, kBlock> pad{};
    for (std::size_t i = 0; i < kBlock; ++i)
        pad[i] = block[i] ^ 0x36;
    Sha256Digest inner{};
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, pad.data(), pad.size());
    SHA256_Update(&ctx, data.data(), data.size());
    SHA256_Final(inner.data(), &ctx);
    for (std::size_t i = 0; i < kBlock; ++i)
        pad[i] = block[i] ^ 0x5c;
    Sha256Digest outer{};
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, pad.data(), pad.size());
    SHA256_Update(&ctx, inner.data(), inner.size());
    SHA256_Final(outer.data(), &ctx);
    OPENSSL_cleanse(block.data(), block.size());
    OPENSSL_cleanse(pad.data(), pad.size());
    return outer;
}

}  // namespace airlock
