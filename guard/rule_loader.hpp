// Reads rule catalogs (the built-in one and a policy's `guard` section) strictly: an unknown
// field, a wrong type or an unknown class is an Error naming where it is.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "guard/rule.hpp"
#include "platform/result.hpp"

namespace airlock::guard::detail {

// The built-in catalog: guard/catalog/rules.json, read and checked at build time by
// guard/catalog_codegen.cpp, which writes the code that builds this Catalog.
Result<Catalog> load_builtin_catalog();

// A whole catalog in the form of guard/catalog/rules.json (what the build reads).
Result<Catalog> load_catalog_json(std::string_view text);

// Adds a policy's `guard` section: {"rules": [...], "known_programs": [...]}.
Result<void> add_extensions(Catalog& catalog, const nlohmann::json& section);

}  // namespace airlock::guard::detail
