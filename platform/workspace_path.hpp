// Confining a user-supplied path to the workspace, before anything touches it.
#pragma once

#include <filesystem>
#include <string_view>

#include "platform/result.hpp"

namespace airlock {

// Resolves `relative` (as given by a tool call) against `workspace`.
// Rejects: empty paths, NUL bytes, absolute paths, `..` that leaves the workspace, and any
// existing ancestor that is a symlink resolving outside the workspace. The returned path is
// absolute, lexically normal, and inside the canonical workspace. `what` names the parameter
// in error messages ("path", "cwd").
Result<std::filesystem::path> resolve_in_workspace(const std::filesystem::path& workspace,
                                                   std::string_view relative,
                                                   std::string_view what);

// True when `path` is `dir` or lies below it (both absolute and lexically normal).
bool is_within(const std::filesystem::path& path, const std::filesystem::path& dir);

}  // namespace airlock
