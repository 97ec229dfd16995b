#include "platform/random_bytes.hpp"

#include <sys/random.h>

#include <cerrno>

namespace airlock {

// The kernel's generator, not OpenSSL's RAND_bytes: linking RAND_bytes statically pulls in
// OpenSSL's DRBG and its providers, which every start of airlock would pay for.
bool random_bytes(unsigned char* out, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = getrandom(out + done, size - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace airlock
