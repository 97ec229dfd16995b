// Reads rule catalogs (the built-in one and a policy's `guard` section) strictly: an unknown
// field, a wrong type or an unknown class is an Error naming where it is.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "guard/rule.hpp"
#include "platform/result.hpp"

namespace airlock::guard::detail {

// The compiled-in catalog (guard/catalog/rules.json).
Result<Catalog> load_builtin_catalog();

// Adds a policy's `guard` section: {"rules": [...], "known_programs": [...]}.
Result<void> add_extensions(Catalog& catalog, const nlohmann::json& section);

}  // namespace airlock::guard::detail
