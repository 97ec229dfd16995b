// file_write and file_read, done by airlock itself: every path is resolved beneath the
// workspace by the kernel (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so neither `..`
// nor a symlink swapped in by a running command can lead outside it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "platform/result.hpp"

namespace airlock::exec {

struct WriteOutcome {
    std::uint64_t bytes = 0;
    bool created = false;  // the file did not exist before
};

// Atomically replaces (or creates) `relative` with `content`, creating missing parent
// directories. `relative` must already be validated (see validate_file_path).
Result<WriteOutcome> write_file_beneath(const std::filesystem::path& workspace,
                                        const std::filesystem::path& relative,
                                        std::string_view content);

struct ReadOutcome {
    std::string content;
    bool truncated = false;
};

Result<ReadOutcome> read_file_beneath(const std::filesystem::path& workspace,
                                      const std::filesystem::path& relative,
                                      std::uint64_t max_bytes);

// Input validation shared by both tools: relative, inside the workspace, not airlock's own
// state (.airlock/). Returns the lexically normal relative path.
Result<std::filesystem::path> validate_file_path(const std::filesystem::path& workspace,
                                                 std::string_view path);

}  // namespace airlock::exec
