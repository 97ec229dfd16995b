// Shell quoting of one word, as POSIX sh reads it back.
#pragma once

#include <string>
#include <string_view>

namespace airlock {

// Always in single quotes ('it'\''s'): for command lines airlock builds to be run.
std::string shell_quote_always(std::string_view word);

// Quoted only when it needs to be (empty, or any character outside [A-Za-z0-9_+=/.,:@%-]):
// for showing a command to a person, unambiguously.
std::string shell_quote(std::string_view word);

}  // namespace airlock
