#include "sandbox/paths.hpp"

#include <system_error>

namespace airlock::sandbox {

namespace fs = std::filesystem;

Result<ResolvedPath> resolve_profile_path(const std::string& spec, const fs::path& base,
                                          const fs::path& home, CanonicalCache* cache) {
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
    auto cached = [&](const fs::path& p) { return cache && cache->count(p) != 0; };
    auto present = [&](const fs::path& p) { return fs::exists(fs::symlink_status(p, ec)); };
    fs::path real;
    for (int looks = 1;; ++looks) {
        while (!existing.empty() && existing != existing.root_path() && !cached(existing) &&
               !present(existing)) {
            existing = existing.parent_path();
        }
        if (cached(existing)) {
            real = cache->at(existing);
            break;
        }
        real = fs::canonical(existing, ec);
        if (!ec) break;
        // Gone since it was seen (another sandbox's placeholder, removed as its call ended):
        // look again, from there up. A dangling symlink fails the same way every time and
        // stays an error.
        if (ec == std::errc::no_such_file_or_directory && looks < 8) continue;
        const std::string why =
            ec == std::errc::too_many_symbolic_link_levels ? "a symlink loop" : ec.message();
        return make_error("sandbox", "cannot resolve \"" + spec + "\": " + why);
    }
    ResolvedPath out;
    const fs::path rest = raw.lexically_relative(existing);
    out.path = (rest.empty() || rest == ".") ? real : (real / rest).lexically_normal();
    out.exists = rest.empty() || rest == ".";
    const bool known_directory = cached(existing);
    if (out.exists) {
        out.is_directory = known_directory || fs::is_directory(real, ec);
        if (cache && out.is_directory) cache->emplace(existing, real);
    } else {
        out.first_missing = real / *rest.begin();
        if (cache && !known_directory && fs::is_directory(real, ec)) cache->emplace(existing, real);
    }
    return out;
}

}  // namespace airlock::sandbox
