// Evaluation: every rule that matches any subject (segment) is collected; a layer's default
// applies to a subject that no rule of that layer or of a layer below it matched; the call
// gets the strictest of all of these.
#include <algorithm>

#include "policy/stack_impl.hpp"

namespace airlock::policy {

namespace {

constexpr std::int64_t kDefaultHit = -1;   // a layer's default applied
constexpr std::int64_t kFallbackHit = -2;  // no layer matched and none has a default

struct Hit {
    std::int64_t rule;  // index into Impl::rules, or kDefaultHit / kFallbackHit
    std::size_t layer;
    int segment;
    Decision decision;
};

Decision effective(const detail::Rule& r) {
    return r.require_escalated ? std::max(r.decision, Decision::ask) : r.decision;
}

// Orders hits for the report and for choosing the winner among equals: by segment, then rules
// before defaults, then layer and rule order.
bool report_order(const Hit& a, const Hit& b) {
    if (a.segment != b.segment) return a.segment < b.segment;
    const bool a_rule = a.rule >= 0, b_rule = b.rule >= 0;
    if (a_rule != b_rule) return a_rule;
    if (a.layer != b.layer) return a.layer < b.layer;
    return a.rule < b.rule;
}

}  // namespace

namespace {

// The verdict from every hit: the strictest wins; among equals a rule beats a default, and a
// rule that names the command, path or tool beats one that only matched on risk.
Verdict verdict_from(const PolicyStack::Impl& impl, std::vector<Hit>& hits) {
    std::sort(hits.begin(), hits.end(), report_order);
    auto specific = [&](const Hit& h) {
        if (h.rule < 0) return 0;
        const auto& rule = impl.rules[static_cast<std::size_t>(h.rule)];
        return rule.has_argv || !rule.path.empty() || !rule.agent_tool.empty() ? 2 : 1;
    };
    Verdict v;
    const Hit* winner = nullptr;
    for (const auto& h : hits) {
        if (!winner || h.decision > winner->decision ||
            (h.decision == winner->decision && specific(h) > specific(*winner)))
            winner = &h;
    }
    v.matched.reserve(hits.size());
    for (const auto& h : hits) {
        RuleMatch m;
        m.decision = h.decision;
        m.segment = h.segment;
        if (h.rule >= 0) {
            const auto& rule = impl.rules[static_cast<std::size_t>(h.rule)];
            m.rule = rule.id;
            m.reason = rule.reason.empty() ? "matched rule \"" + rule.id + "\"" : rule.reason;
            if (rule.require_escalated) {
                v.always_ask = true;
                if (rule.decision < Decision::ask) m.reason += " (require_escalated: always asked)";
            }
            m.layer = impl.layer_names[h.layer];
        } else if (h.rule == kDefaultHit) {
            m.rule = "<default>";
            m.layer = impl.layer_names[h.layer];
            m.reason = "no rule of layer " + m.layer + " matched; its default applies";
        } else {
            m.rule = "<default>";
            m.reason = "no rule matched and no layer sets a default";
        }
        if (&h == winner) {
            v.decision = m.decision;
            v.rule = m.rule;
            v.reason = m.reason;
        }
        v.matched.push_back(std::move(m));
    }
    if (!winner) {  // no layers at all
        v.decision = Decision::ask;
        v.rule = "<default>";
        v.reason = "no policy layer is loaded";
    }
    return v;
}

}  // namespace

Verdict PolicyStack::evaluate(const ToolCall& call, const guard::Assessment& assessment) const {
    const Impl& impl = *impl_;
    const auto subjects = detail::subjects_for(call, assessment, impl.environment);
    const std::size_t layer_count = impl.layer_defaults.size();
    bool any_default = false;
    for (const auto& d : impl.layer_defaults)
        any_default = any_default || d.has_value();

    std::vector<Hit> hits;
    for (const auto& subject : subjects) {
        std::uint64_t layers_matched = 0;
        auto visit = [&](std::uint32_t i) {
            const detail::Rule& rule = impl.rules[i];
            if (!detail::rule_matches(rule, call.tool, subject)) return;
            hits.push_back(
                {static_cast<std::int64_t>(i), rule.layer, subject.segment, effective(rule)});
            layers_matched |= std::uint64_t{1} << rule.layer;
        };
        if (call.tool == Tool::shell_exec) {
            const std::string_view program = subject.argv && !subject.argv->empty()
                                                 ? std::string_view(subject.argv->front())
                                                 : std::string_view();
            impl.index.for_segment(program, visit);
        } else {
            impl.index.for_file_tool(call.tool, visit);
        }
        // A layer's default covers what neither it nor a layer below it has a rule for.
        for (std::size_t l = 0; l < layer_count; ++l) {
            if (layers_matched & ((std::uint64_t{2} << l) - 1)) continue;
            if (impl.layer_defaults[l])
                hits.push_back({kDefaultHit, l, subject.segment, *impl.layer_defaults[l]});
        }
        if (layers_matched == 0 && !any_default)
            hits.push_back({kFallbackHit, 0, subject.segment, Decision::ask});
    }
    return verdict_from(*impl_, hits);
}

Verdict PolicyStack::evaluate_agent_tool(std::string_view name) const {
    const Impl& impl = *impl_;
    std::vector<Hit> hits;
    std::uint64_t layers_matched = 0;
    bool any_default = false;
    for (std::uint32_t i = 0; i < impl.rules.size(); ++i) {
        const detail::Rule& rule = impl.rules[i];
        if (rule.agent_tool.empty() || !rule.matches_agent_tool(name)) continue;
        hits.push_back({static_cast<std::int64_t>(i), rule.layer, -1, effective(rule)});
        layers_matched |= std::uint64_t{1} << rule.layer;
    }
    for (std::size_t l = 0; l < impl.layer_defaults.size(); ++l) {
        any_default = any_default || impl.layer_defaults[l].has_value();
        if (layers_matched & ((std::uint64_t{2} << l) - 1)) continue;
        if (impl.layer_defaults[l]) hits.push_back({kDefaultHit, l, -1, *impl.layer_defaults[l]});
    }
    if (layers_matched == 0 && !any_default) hits.push_back({kFallbackHit, 0, -1, Decision::ask});
    return verdict_from(impl, hits);
}

}  // namespace airlock::policy
