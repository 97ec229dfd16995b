#include "sandbox/path_list.hpp"

#include <algorithm>

#include "platform/workspace_path.hpp"

namespace airlock::sandbox {

namespace fs = std::filesystem;

// The paths are lexically normal, so their strings compare as the paths do (and far faster
// than path::compare, component by component).
bool add_unique(std::vector<fs::path>& list, const fs::path& path) {
    if (std::any_of(list.begin(), list.end(),
                    [&](const fs::path& p) { return p.native() == path.native(); }))
        return false;
    list.push_back(path);
    return true;
}

bool inside_any(const fs::path& path, const std::vector<fs::path>& roots) {
    return std::any_of(roots.begin(), roots.end(),
                       [&](const fs::path& root) { return is_within(path, root); });
}

}  // namespace airlock::sandbox
