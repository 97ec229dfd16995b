// `airlock policy lint`: load errors plus findings about rules that cannot do what they say.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "policy/findings.hpp"

namespace airlock::policy {

// Errors: everything that stops the file from loading (syntax, schema, duplicate ids, failing
// examples). Warnings: "shadowed" (an allow that a deny or ask of the same file always
// overrides), "over-broad" (allow of any program, of "**", of a shell, interpreter or privilege
// wrapper by prefix, or an allow without matchers), "no-effect" (require_escalated on a deny).
std::vector<Finding> lint_policy(std::string_view text, const std::string& name,
                                 const std::filesystem::path& workspace);

}  // namespace airlock::policy
