#pragma once

#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace airlock {

// Writes all of `bytes` to `fd`, again after EINTR and short writes. Returns 0, or the errno of
// the write that failed (EIO for one that wrote nothing). Async-signal-safe and allocation-free:
// a sandbox's child before exec and the hook client before static initialisation use it too.
// Always inlined: the hook client's code must stay in its own few pages (cli/hot_path.txt).
[[gnu::always_inline]] inline int write_all(int fd, std::string_view bytes) noexcept {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        if (n == 0) return EIO;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
}

}  // namespace airlock
