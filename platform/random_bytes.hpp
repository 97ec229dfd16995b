#pragma once

#include <cstddef>

namespace airlock {

// Fills `out` with `size` bytes from the kernel's CSPRNG (getrandom(2), blocking until it is
// seeded). False, with errno set, when the kernel cannot give them; the caller fails closed.
bool random_bytes(unsigned char* out, std::size_t size);

}  // namespace airlock
