#include "platform/workspace_path.hpp"

#include <string>
#include <system_error>

namespace airlock {

namespace fs = std::filesystem;

bool is_within(const fs::path& path, const fs::path& dir) {
    auto p = path.begin();
    for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
        if (d->empty()) continue;  // trailing separator
        if (p == path.end() || *p != *d) return false;
    }
    return true;
}

Result<fs::path> resolve_in_workspace(const fs::path& workspace, std::string_view relative,
                                      std::string_view what) {
    const std::string name(what);
    if (relative.find('\0') != std::string_view::npos)
        return make_error("input", name + " contains a NUL byte");
    if (relative.empty()) return make_error("input", name + " is empty");
    const fs::path given{std::string(relative)};
    if (given.is_absolute())
        return make_error("input", name + " \"" + std::string(relative) +
                                       "\" is absolute; give a path relative to the workspace");

    std::error_code ec;
    const fs::path root = fs::canonical(workspace, ec);
    if (ec)
        return make_error(
            "input", "workspace \"" + workspace.string() + "\" is not usable: " + ec.message());
    const fs::path joined = (root / given).lexically_normal();
    if (!is_within(joined, root))
        return make_error("input",
                          name + " \"" + std::string(relative) + "\" escapes the workspace");

    // Walk up to the deepest existing ancestor and make sure symlinks do not lead outside.
    fs::path existing = joined;
    while (!existing.empty() && existing != root && !fs::exists(fs::symlink_status(existing))) {
        existing = existing.parent_path();
    }
    const fs::path real = fs::weakly_canonical(existing, ec);
    if (ec)
        return make_error("input", name + " \"" + std::string(relative) +
                                       "\" cannot be resolved: " + ec.message());
    if (!is_within(real, root))
        return make_error("input", name + " \"" + std::string(relative) +
                                       "\" leads outside the workspace through a symlink");
    return joined;
}

}  // namespace airlock
