#include "sandbox/paths.hpp"

#include <system_error>

namespace airlock::sandbox {

namespace fs = std::filesystem;

Result<ResolvedPath> resolve_profile_path(const std::string& spec, const fs::path& base,
                                          const fs::path& home) {
    if (spec.empty()) return make_error("sandbox", "an empty path in the sandbox settings");
    if (spec.find('\0') != std::string::npos)
        return make_error("sandbox", "a sandbox path contains a NUL byte");
    fs::path raw;
    if (spec == "~" || spec.rfind("~/", 0) == 0) {
        if (home.empty()) return make_error("sandbox", "\"" + spec + "\" needs a home directory");
        raw = home / spec.substr(spec.size() > 1 ? 2 : 1);
    } else {
        raw = fs::path(spec).is_absolute() ? fs::path(spec) : base / spec;
    }
    raw = raw.lexically_normal();

    // Find the deepest existing ancestor; canonical() follows its symlinks and fails on loops.
    fs::path existing = raw;
    std::error_code ec;
    while (!existing.empty() && existing != existing.root_path() &&
           !fs::exists(fs::symlink_status(existing, ec))) {
        existing = existing.parent_path();
    }
    const fs::path real = fs::canonical(existing, ec);
    if (ec) {
        const std::string why =
            ec == std::errc::too_many_symbolic_link_levels ? "a symlink loop" : ec.message();
        return make_error("sandbox", "cannot resolve \"" + spec + "\": " + why);
    }
    ResolvedPath out;
    const fs::path rest = raw.lexically_relative(existing);
    out.path = (rest.empty() || rest == ".") ? real : (real / rest).lexically_normal();
    out.exists = rest.empty() || rest == ".";
    if (out.exists) {
        out.is_directory = fs::is_directory(real, ec);
    } else {
        out.first_missing = real / *rest.begin();
    }
    return out;
}

}  // namespace airlock::sandbox
