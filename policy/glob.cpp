#include "policy/glob.hpp"

namespace airlock::policy::detail {

namespace {

bool match_from(const std::vector<std::string>& glob, std::size_t g,
                const std::vector<std::string>& path, std::size_t p) {
    while (g < glob.size()) {
        if (glob[g] == "**") {
            if (g + 1 == glob.size()) return true;
            for (std::size_t k = p; k <= path.size(); ++k)
                if (match_from(glob, g + 1, path, k)) return true;
            return false;
        }
        if (p >= path.size() || !glob_match(glob[g], path[p])) return false;
        ++g;
        ++p;
    }
    return true;  // the glob covered a leading part of the path: a directory and its contents
}

}  // namespace

bool path_glob_match(const std::vector<std::string>& glob, const std::vector<std::string>& path) {
    return match_from(glob, 0, path, 0);
}

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < path.size()) {
        const std::size_t slash = path.find('/', i);
        const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
        if (end > i) out.emplace_back(path.substr(i, end - i));
        i = end + 1;
    }
    return out;
}

}  // namespace airlock::policy::detail
