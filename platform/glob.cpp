#include "platform/glob.hpp"

#include <cstddef>

namespace airlock {

namespace {

// Matches one [set] at pattern[p] against c; returns the index after the set, or npos.
std::size_t match_set(std::string_view pattern, std::size_t p, char c, bool& matched) {
    std::size_t i = p + 1;
    bool negate = false;
    if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
        negate = true;
        ++i;
    }
    bool hit = false;
    const std::size_t first = i;
    while (i < pattern.size() && (pattern[i] != ']' || i == first)) {
        if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
            if (c >= pattern[i] && c <= pattern[i + 2]) hit = true;
            i += 3;
        } else {
            if (c == pattern[i]) hit = true;
            ++i;
        }
    }
    if (i >= pattern.size()) return std::string_view::npos;  // no closing ]: literal '['
    matched = hit != negate;
    return i + 1;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
    // Iterative matcher with single-star backtracking: O(|pattern| * |text|) worst case.
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
                bool matched = false;
                const std::size_t next = match_set(pattern, p, text[t], matched);
                if (next != std::string_view::npos) {
                    if (matched) {
                        p = next;
                        ++t;
                        continue;
                    }
                } else if (text[t] == '[') {
                    ++p;
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

bool has_glob_chars(std::string_view text) {
    return text.find_first_of("*?[") != std::string_view::npos;
}

std::string glob_problem(std::string_view pattern) {
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] != '[') continue;
        bool unused = false;
        const std::size_t next = match_set(pattern, i, '\0', unused);
        if (next == std::string_view::npos)
            return "unterminated '[' in glob \"" + std::string(pattern) + "\"";
        i = next - 1;
    }
    return {};
}

}  // namespace airlock
