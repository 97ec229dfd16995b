// Mount-point placeholders: to block a protected path that does not exist yet, bwrap mounts
// /dev/null on its first missing component, which leaves an empty file on the host. Each
// placeholder is held with a shared lock while a sandbox uses it, and removed afterwards only
// when no other sandbox holds it (an exclusive lock can be taken).
#pragma once

#include <filesystem>
#include <vector>

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::sandbox {

// True when `path` is a placeholder some airlock sandbox made (its lock file exists in
// `lock_dir` and the path is an empty regular file).
bool is_known_placeholder(const std::filesystem::path& lock_dir, const std::filesystem::path& path);

class PlaceholderLease {
  public:
    static Result<PlaceholderLease> acquire(const std::filesystem::path& lock_dir,
                                            const std::vector<std::filesystem::path>& placeholders);
    PlaceholderLease(PlaceholderLease&&) noexcept = default;
    PlaceholderLease& operator=(PlaceholderLease&&) = delete;
    ~PlaceholderLease();  // removes each placeholder no other sandbox holds

  private:
    struct Held {
        std::filesystem::path placeholder;
        std::filesystem::path lock_file;
        UniqueFd lock;
    };
    explicit PlaceholderLease(std::vector<Held> held) : held_(std::move(held)) {}
    std::vector<Held> held_;
};

}  // namespace airlock::sandbox
