// Resolving the paths a profile names (writable roots, deny-read and protected paths) before
// any mount is planned: `~` and workspace-relative forms expanded, symlinks followed, cycles
// refused. A profile never masks or binds a path it did not resolve.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "platform/result.hpp"

namespace airlock::sandbox {

struct ResolvedPath {
    std::filesystem::path path;  // absolute; symlinks in the existing part resolved
    bool exists = false;
    bool is_directory = false;
    // When the path does not exist: its first missing component (the one to block so that it
    // cannot be created), below an existing, resolved parent.
    std::optional<std::filesystem::path> first_missing;
};

// Existing directories already resolved while one profile is built, with their canonical form:
// the floor's two dozen paths share their writable root, whose every component canonical()
// would otherwise read again for each of them. Kept for one build_profile only.
using CanonicalCache = std::map<std::filesystem::path, std::filesystem::path>;

// `spec` may be absolute, start with "~/" (the home directory) or be relative to `base`.
Result<ResolvedPath> resolve_profile_path(const std::string& spec,
                                          const std::filesystem::path& base,
                                          const std::filesystem::path& home,
                                          CanonicalCache* cache = nullptr);

}  // namespace airlock::sandbox
