#include "policy/glob.hpp"

namespace airlock::policy::detail {

namespace {

// Matches one [...] class starting at pattern[p] (the '['). Returns the index after the
// closing ']' and whether `c` is in the class; npos when the class is unterminated.
std::size_t match_class(std::string_view pattern, std::size_t p, char c, bool& in_class) {
    std::size_t i = p + 1;
    bool negate = false;
    if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
        negate = true;
        ++i;
    }
    bool found = false;
    bool first = true;
    while (i < pattern.size() && (pattern[i] != ']' || first)) {
        first = false;
        const char lo = pattern[i];
        if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
            const char hi = pattern[i + 2];
            if (lo <= c && c <= hi) found = true;
            i += 3;
        } else {
            if (lo == c) found = true;
            ++i;
        }
    }
    if (i >= pattern.size()) return std::string_view::npos;
    in_class = found != negate;
    return i + 1;
}

}  // namespace

bool has_glob_chars(std::string_view text) {
    return text.find_first_of("*?[") != std::string_view::npos;
}

std::string glob_problem(std::string_view pattern) {
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] != '[') continue;
        bool unused = false;
        const std::size_t next = match_class(pattern, i, '\0', unused);
        if (next == std::string_view::npos)
            return "unterminated '[' in glob \"" + std::string(pattern) + "\"";
        i = next - 1;
    }
    return {};
}

// Iterative matcher with single-star backtracking: linear in practice, no recursion.
bool glob_match(std::string_view pattern, std::string_view text) {
    std::size_t p = 0, t = 0;
    std::size_t star_p = std::string_view::npos, star_t = 0;
    while (t < text.size()) {
        if (p < pattern.size()) {
            const char pc = pattern[p];
            if (pc == '*') {
                star_p = p++;
                star_t = t;
                continue;
            }
            if (pc == '?') {
                ++p;
                ++t;
                continue;
            }
            if (pc == '[') {
                bool in_class = false;
                const std::size_t next = match_class(pattern, p, text[t], in_class);
                if (next != std::string_view::npos && in_class) {
                    p = next;
                    ++t;
                    continue;
                }
            } else if (pc == text[t]) {
                ++p;
                ++t;
                continue;
            }
        }
        if (star_p == std::string_view::npos) return false;
        p = star_p + 1;
        t = ++star_t;
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

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
