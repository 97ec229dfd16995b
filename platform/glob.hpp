// Shell-style globs on one name or token: `*`, `?`, `[a-z]`, `[!x]`. One matcher for the guard's
// rule patterns and the policy's argv and path patterns, so both read a pattern the same way.
#pragma once

#include <string>
#include <string_view>

namespace airlock {

// Iterative, no recursion: O(|pattern| * |text|) in the worst case. An unterminated `[` is a
// literal character.
bool glob_match(std::string_view pattern, std::string_view text);

bool has_glob_chars(std::string_view text);

// Empty when `pattern` is well formed, else why not (for load-time errors).
std::string glob_problem(std::string_view pattern);

}  // namespace airlock
