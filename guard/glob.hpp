// Shell-style wildcard matching (* ? [set]) for rule patterns; linear in practice.
#pragma once

#include <string_view>

namespace airlock::guard::detail {

bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace airlock::guard::detail
