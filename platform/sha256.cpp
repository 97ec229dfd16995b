#include "platform/sha256.hpp"

// OpenSSL 3's EVP interface looks the digest up among its providers, and the first lookup
// initialises them and reads openssl.cnf: about a quarter of a one-shot `airlock exec`'s
// instructions. The low-level SHA-256 functions (deprecated, still part of OpenSSL 3) hash
// without any of that.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <array>

namespace airlock {

std::string sha256_hex(std::string_view bytes) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    // Not SHA256(): in OpenSSL 3 that one-shot goes through EVP again.
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, bytes.data(), bytes.size());
    SHA256_Final(digest.data(), &ctx);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(digest.size() * 2);
    for (unsigned char b : digest) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xf]);
    }
    return out;
}

}  // namespace airlock
