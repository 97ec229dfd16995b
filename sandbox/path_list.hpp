// Lists of lexically normal paths, as the profile builders keep them (writable, read-only,
// blocked, the floor's roots).
#pragma once

#include <filesystem>
#include <vector>

namespace airlock::sandbox {

// Appends `path` unless the list has it already; false when it had.
bool add_unique(std::vector<std::filesystem::path>& list, const std::filesystem::path& path);

// Whether `path` is one of `roots` or lies below one of them.
bool inside_any(const std::filesystem::path& path, const std::vector<std::filesystem::path>& roots);

}  // namespace airlock::sandbox
