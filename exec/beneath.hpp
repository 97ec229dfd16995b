// Small file-system primitives confined to the workspace: every path is resolved by the kernel
// beneath the workspace (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), like the file tools.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::exec {

// openat2 beneath `dirfd`; returns -1 with errno set on failure.
int open_beneath(int dirfd, const std::filesystem::path& path, int flags, mode_t mode = 0);

Result<UniqueFd> open_directory(const std::filesystem::path& dir);

struct FileState {
    bool exists = false;
    std::string content;  // when it exists
    mode_t mode = 0;      // permission bits, when it exists
};

// The regular file `relative` beneath the workspace, or its absence. Anything else at that
// path (a directory, a symlink, a device) is an error: it cannot be kept or restored.
Result<FileState> read_state_beneath(int root, const std::filesystem::path& relative);

// The highest ancestor directory of `relative` (relative itself excluded) that does not exist
// yet, i.e. the first directory a write of `relative` would create; nullopt when all exist.
std::optional<std::filesystem::path> first_missing_dir(int root,
                                                       const std::filesystem::path& relative);

// Replaces (or creates) `relative` with `content` and exactly `mode`, atomically (temporary
// file + rename), creating missing parent directories.
Result<void> put_file_beneath(int root, const std::filesystem::path& relative,
                              std::string_view content, mode_t mode);

// Removes the regular file `relative`, then the now-empty directories from its parent up to and
// including `created_dir` (a directory the removed write had created), stopping at one that is
// not empty.
Result<void> remove_file_beneath(int root, const std::filesystem::path& relative,
                                 const std::optional<std::filesystem::path>& created_dir);

}  // namespace airlock::exec
