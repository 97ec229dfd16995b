#include "platform/sha256.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace airlock {

std::string sha256_hex(std::string_view bytes) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) !=
        1) {
        // Only fails on allocation failure inside OpenSSL; there is no sane fallback for a hash.
        throw std::runtime_error("EVP_Digest(sha256) failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(kHex[digest[i] >> 4]);
        out.push_back(kHex[digest[i] & 0xf]);
    }
    return out;
}

}  // namespace airlock
