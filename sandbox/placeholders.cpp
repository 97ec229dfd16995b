#include "sandbox/placeholders.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/sha256.hpp"

namespace airlock::sandbox {

namespace fs = std::filesystem;

namespace {

fs::path lock_file_for(const fs::path& lock_dir, const fs::path& placeholder) {
    return lock_dir / (sha256_hex(placeholder.string()).substr(0, 32) + ".lock");
}

bool empty_regular_file(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
}

}  // namespace

bool is_known_placeholder(const fs::path& lock_dir, const fs::path& path) {
    return ::access(lock_file_for(lock_dir, path).c_str(), F_OK) == 0 && empty_regular_file(path);
}

Result<PlaceholderLease> PlaceholderLease::acquire(const fs::path& lock_dir,
                                                   const std::vector<fs::path>& placeholders) {
    std::vector<Held> held;
    if (placeholders.empty()) return PlaceholderLease(std::move(held));
    if (::mkdir(lock_dir.c_str(), 0700) != 0 && errno != EEXIST)
        return sys_error("sandbox", "cannot create " + lock_dir.string(), "mkdir");
    for (const auto& p : placeholders) {
        const fs::path lock_file = lock_file_for(lock_dir, p);
        UniqueFd fd(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd.valid()) return sys_error("sandbox", "cannot open " + lock_file.string(), "open");
        int rc;
        do {
            rc = ::flock(fd.get(), LOCK_SH);
        } while (rc != 0 && errno == EINTR);
        if (rc != 0) return sys_error("sandbox", "cannot lock " + lock_file.string(), "flock");
        held.push_back({p, lock_file, std::move(fd)});
    }
    return PlaceholderLease(std::move(held));
}

PlaceholderLease::~PlaceholderLease() {
    for (auto& h : held_) {
        // Upgrading to exclusive succeeds only when no other sandbox holds this placeholder.
        if (::flock(h.lock.get(), LOCK_EX | LOCK_NB) == 0) {
            if (empty_regular_file(h.placeholder)) ::unlink(h.placeholder.c_str());
        }
        h.lock.reset();
    }
}

}  // namespace airlock::sandbox
