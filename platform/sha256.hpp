#pragma once

#include <array>
#include <string>
#include <string_view>

namespace airlock {

using Sha256Digest = std::array<unsigned char, 32>;

// SHA-256 of `bytes` (OpenSSL's low-level SHA-256, not EVP: see sha256.cpp).
Sha256Digest sha256(std::string_view bytes);

// Lowercase hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

// HMAC-SHA256 (RFC 2104) of `data` under `key`, on the same low-level SHA-256.
Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

}  // namespace airlock
