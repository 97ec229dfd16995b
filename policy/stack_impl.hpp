// The inside of a PolicyStack: the layers' rules, compiled once, and the merged settings.
#pragma once

#include <memory>
#include <optional>

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
// skip_layer: a layer whose examples are not checked (the built-in one: constant text whose
// examples the test suite checks).
void check_examples(const PolicyStack::Impl& impl, std::vector<Finding>& findings,
                    std::optional<std::size_t> skip_layer = std::nullopt);

}  // namespace detail

}  // namespace airlock::policy
