// Placeholder policy engine: default + argv prefix + risk_at_least rules, no validation.
#include "policy/policy.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "platform/sha256.hpp"

namespace airlock::policy {

namespace detail {
extern const std::string_view kBuiltinPolicy;
}

std::string_view builtin_policy_text() { return detail::kBuiltinPolicy; }

std::string_view decision_name(Decision d) {
    switch (d) {
        case Decision::allow: return "allow";
        case Decision::ask: return "ask";
        case Decision::deny: return "deny";
    }
    return "deny";
}

std::optional<Decision> parse_decision(std::string_view n) {
    if (n == "allow") return Decision::allow;
    if (n == "ask") return Decision::ask;
    if (n == "deny") return Decision::deny;
    return std::nullopt;
}

struct Rule {
    std::string id, reason, layer, tool;
    Decision decision;
    std::vector<std::string> argv;
    std::optional<guard::Level> risk_at_least;
};

struct PolicyStack::Impl {
    std::vector<Rule> rules;
    Decision default_decision = Decision::allow;
    SandboxSettings sandbox;
    Limits limits;
    ApprovalSettings approvals;
    EnvSettings env;
    std::string digest_input;
    std::vector<std::string> names;
    guard::Guard guard;
};

PolicyStack::PolicyStack(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PolicyStack::PolicyStack(PolicyStack&&) noexcept = default;
PolicyStack& PolicyStack::operator=(PolicyStack&&) noexcept = default;
PolicyStack::~PolicyStack() = default;

Result<PolicyStack> PolicyStack::load(const LoadOptions& options) {
    std::vector<std::pair<std::string, std::string>> texts;
    if (options.builtin) texts.emplace_back("builtin", std::string(builtin_policy_text()));
    for (const auto& f : options.files) {
        std::ifstream in(f);
        if (!in) return make_error("policy", f.string() + ": cannot be read");
        std::stringstream ss;
        ss << in.rdbuf();
        texts.emplace_back(f.string(), ss.str());
    }
    return from_texts(texts);
}

Result<PolicyStack> PolicyStack::from_texts(
    const std::vector<std::pair<std::string, std::string>>& layers) {
    auto impl = std::make_unique<Impl>();
    bool first = true;
    for (const auto& [name, text] : layers) {
        nlohmann::json j = nlohmann::json::parse(text, nullptr, false, true);
        if (j.is_discarded()) return make_error("policy", name + ": invalid JSON");
        impl->names.push_back(name);
        impl->digest_input += text;
        auto d = parse_decision(j.value("default", "allow"));
        if (!d) return make_error("policy", name + ": bad default");
        impl->default_decision = first ? *d : std::max(impl->default_decision, *d);
        first = false;
        for (const auto& r : j.value("rules", nlohmann::json::array())) {
            Rule rule;
            rule.id = r.value("id", "");
            rule.reason = r.value("reason", "");
            rule.tool = r.value("tool", "*");
            rule.layer = name;
            rule.decision = parse_decision(r.value("decision", "deny")).value_or(Decision::deny);
            if (r.contains("argv")) rule.argv = r["argv"].get<std::vector<std::string>>();
            if (r.contains("risk_at_least"))
                rule.risk_at_least = guard::parse_level(r["risk_at_least"].get<std::string>());
            impl->rules.push_back(std::move(rule));
        }
        if (j.contains("sandbox")) {
            const auto& s = j["sandbox"];
            if (s.contains("adapter")) impl->sandbox.adapter = s["adapter"];
            if (s.contains("network")) impl->sandbox.network = s["network"] == "on";
            if (s.contains("required")) impl->sandbox.required = s["required"];
        }
        if (j.contains("limits")) {
            const auto& l = j["limits"];
            if (l.contains("timeout_seconds")) impl->limits.timeout_seconds = l["timeout_seconds"];
            if (l.contains("output_bytes")) impl->limits.output_bytes = l["output_bytes"];
        }
    }
    return PolicyStack(std::move(impl));
}

const guard::Guard& PolicyStack::guard() const { return impl_->guard; }
const SandboxSettings& PolicyStack::sandbox() const { return impl_->sandbox; }
const Limits& PolicyStack::limits() const { return impl_->limits; }
const ApprovalSettings& PolicyStack::approvals() const { return impl_->approvals; }
const EnvSettings& PolicyStack::env() const { return impl_->env; }
std::string PolicyStack::digest() const { return sha256_hex(impl_->digest_input); }
std::vector<std::string> PolicyStack::layer_names() const { return impl_->names; }

Verdict PolicyStack::evaluate(const ToolCall& call, const guard::Assessment& a) const {
    Verdict v;
    v.decision = Decision::allow;
    bool any = false;
    for (const auto& rule : impl_->rules) {
        if (rule.tool != "*" && rule.tool != tool_name(call.tool)) continue;
        if (rule.risk_at_least && a.level < *rule.risk_at_least) continue;
        bool hit = rule.argv.empty();
        for (const auto& seg : a.parse.segments) {
            if (rule.argv.empty()) break;
            if (seg.argv.size() < rule.argv.size()) continue;
            if (std::equal(rule.argv.begin(), rule.argv.end(), seg.argv.begin())) hit = true;
        }
        if (!hit) continue;
        v.matched.push_back({rule.id, rule.decision, rule.reason, rule.layer, -1});
        if (!any || rule.decision > v.decision) {
            v.decision = rule.decision;
            v.rule = rule.id;
            v.reason = rule.reason;
        }
        any = true;
    }
    if (!any) {
        v.decision = impl_->default_decision;
        v.rule = "<default>";
        v.reason = "no rule matched; the policy default applies";
    }
    return v;
}

nlohmann::json to_json(const Verdict& v) {
    return {{"decision", decision_name(v.decision)}, {"rule", v.rule}, {"reason", v.reason}};
}

}  // namespace airlock::policy
