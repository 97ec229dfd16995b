// Glob matching for argv tokens and path components: `*`, `?` and `[...]` classes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace airlock::policy::detail {

// fnmatch-like, without special treatment of '/': `*` matches any run of characters,
// `?` one character, `[abc]`, `[a-z]`, `[!x]` one character of (or not of) a class.
bool glob_match(std::string_view pattern, std::string_view text);

// True when the text contains a glob metacharacter (`*`, `?`, `[`).
bool has_glob_chars(std::string_view text);

// Empty when `pattern` is a well-formed glob, else what is wrong with it.
std::string glob_problem(std::string_view pattern);

// Matches path components against glob components where "**" stands for any number (zero or
// more) of components. The glob may cover a leading part of the path only (gitignore: a
// pattern naming a directory covers everything below it).
bool path_glob_match(const std::vector<std::string>& glob, const std::vector<std::string>& path);

// Splits "a/b//c" into {"a","b","c"}.
std::vector<std::string> split_path(std::string_view path);

}  // namespace airlock::policy::detail
