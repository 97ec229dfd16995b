// Reads one policy layer (JSON with comments) into its compiled form, validating every field.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/findings.hpp"
#include "policy/rule.hpp"

namespace airlock::policy::detail {

struct ParseContext {
    std::string home;  // expands "~" in path globs
    std::size_t layer_index = 0;
};

// Every problem is appended to `findings`; the layer is returned only when there was none
// of severity error (never a partial policy).
std::optional<Layer> parse_layer(std::string_view text, const std::string& name,
                                 const ParseContext& context, std::vector<Finding>& findings);

}  // namespace airlock::policy::detail
