#pragma once

#include <string>
#include <string_view>

namespace airlock {

// Lowercase hex SHA-256 of `bytes` (OpenSSL EVP).
std::string sha256_hex(std::string_view bytes);

}  // namespace airlock
