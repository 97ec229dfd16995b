// The inside of a PolicyStack: the layers' rules, compiled once, and the merged settings.
#pragma once

#include <memory>

#include "policy/policy.hpp"
#include "policy/rule.hpp"
#include "policy/rule_index.hpp"
#include "policy/settings_merge.hpp"
#include "policy/subject.hpp"

namespace airlock::policy {

struct PolicyStack::Impl {
    std::vector<std::string> layer_names;
    std::vector<std::optional<Decision>> layer_defaults;  // per layer
    std::vector<detail::Rule> rules;                      // every layer's, in layer order
    detail::RuleIndex index;
    detail::MergedSettings settings;
    detail::Environment environment;
    std::string digest;
    guard::Guard guard;
};

namespace detail {

// Checks every rule's examples against the rule alone (see docs/POLICY.md).
void check_examples(const PolicyStack::Impl& impl, std::vector<Finding>& findings);

}  // namespace detail

}  // namespace airlock::policy
