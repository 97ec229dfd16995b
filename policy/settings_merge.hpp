// Merging the layers' sandbox, limits, approvals and env settings: the strictest value wins.
#pragma once

#include <vector>

#include "policy/findings.hpp"
#include "policy/rule.hpp"

namespace airlock::policy::detail {

struct MergedSettings {
    SandboxSettings sandbox;
    Limits limits;
    ApprovalSettings approvals;
    EnvSettings env;
    WalSettings wal;
};

// Conflicts that have no strictest answer (two different concrete sandbox adapters, one
// env.set key with two values) are errors.
MergedSettings merge_settings(const std::vector<Layer>& layers, std::vector<Finding>& findings);

// Deep-merges the layers' `guard` sections: objects key by key, arrays concatenated; the same
// scalar set to two different values is an error. Null when no layer has a guard section.
std::optional<nlohmann::json> merge_guard_sections(const std::vector<Layer>& layers,
                                                   std::vector<Finding>& findings);

}  // namespace airlock::policy::detail
