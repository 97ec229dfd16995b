// Glob matching for path components, on top of the token globs in platform/glob.hpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "platform/glob.hpp"

namespace airlock::policy::detail {

// Matches path components against glob components where "**" stands for any number (zero or
// more) of components. The glob may cover a leading part of the path only (gitignore: a
// pattern naming a directory covers everything below it).
bool path_glob_match(const std::vector<std::string>& glob, const std::vector<std::string>& path);

// Splits "a/b//c" into {"a","b","c"}.
std::vector<std::string> split_path(std::string_view path);

}  // namespace airlock::policy::detail
