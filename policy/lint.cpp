#include "policy/lint.hpp"

#include <set>

#include "policy/glob.hpp"
#include "policy/layer_parser.hpp"
#include "policy/policy.hpp"

namespace airlock::policy {

namespace {

using detail::Rule;
using detail::TokenPattern;
using Kind = TokenPattern::Kind;

// Does pattern element `d` match every token that `a` matches?
bool token_covers(const TokenPattern& d, const TokenPattern& a) {
    if (d.kind == Kind::any_one) return a.kind != Kind::any_rest;
    if (a.kind == Kind::any_one || a.kind == Kind::any_rest || a.kind == Kind::glob) {
        // Only a glob that is textually the same (or "*"-only) is known to cover another glob.
        if (a.kind == Kind::glob && (d.kind == Kind::glob || d.kind == Kind::literal))
            return d.texts.front() == a.texts.front() ||
                   (d.kind == Kind::glob && d.texts.front() == "*");
        return false;
    }
    // `a` is a literal or literal alternatives: each must be matched by `d`.
    for (const auto& text : a.texts) {
        if (has_glob_chars(text) && a.kind == Kind::alternatives) {
            bool same = false;
            for (const auto& t : d.texts)
                same = same || t == text;
            if (!same) return false;
            continue;
        }
        if (!d.matches(text)) return false;
    }
    return true;
}

// Every argv that `a` matches is also matched by `d` (conservative: false when unsure).
bool argv_covers(const Rule& d, const Rule& a) {
    if (!d.has_argv) return true;
    if (!a.has_argv) return false;
    std::size_t i = 0;
    for (; i < d.argv.size(); ++i) {
        if (d.argv[i].kind == Kind::any_rest) return i + 1 == d.argv.size() && !d.exact;
        if (i >= a.argv.size() || a.argv[i].kind == Kind::any_rest) return false;
        if (!token_covers(d.argv[i], a.argv[i])) return false;
    }
    if (d.exact) return a.exact && a.argv.size() == d.argv.size();
    return true;
}

bool shadows(const Rule& d, const Rule& a) {
    if (d.decision == Decision::allow && !d.require_escalated) return false;
    if (d.tool && d.tool != a.tool) return false;
    if (!argv_covers(d, a)) return false;
    if (!d.path.empty()) {
        if (a.path.empty()) return false;
        std::set<std::string> dp;
        for (const auto& g : d.path)
            dp.insert(g.text);
        for (const auto& g : a.path)
            if (!dp.count(g.text) && !(d.path.size() == 1 && d.path[0].text == "**")) return false;
    }
    if (d.risk_at_least && (!a.risk_at_least || *a.risk_at_least < *d.risk_at_least)) return false;
    if (d.risk_reason && a.risk_reason != d.risk_reason) return false;
    return true;
}

const std::set<std::string>& risky_programs() {
    static const std::set<std::string> names = {
        "sh",   "bash", "zsh",   "dash",   "ksh",     "fish",  "env",
        "sudo", "su",   "doas",  "python", "python3", "perl",  "ruby",
        "node", "php",  "xargs", "eval",   "exec",    "nohup", "busybox"};
    return names;
}

void over_broad(const Rule& r, std::vector<Finding>& out) {
    if (r.decision != Decision::allow || r.require_escalated) return;
    auto warn = [&](const std::string& message) {
        out.push_back({Finding::Severity::warning, "over-broad", r.where.str(), r.field, message});
    };
    if (!r.has_matchers())
        return warn("allows every call" + std::string(r.tool ? " of its tool" : ""));
    if (!r.has_argv) return;
    const TokenPattern& first = r.argv.front();
    if (first.kind == Kind::any_rest || first.kind == Kind::any_one ||
        (first.kind == Kind::glob &&
         first.texts.front().find_first_not_of('*') == std::string::npos))
        return warn("allows any program");
    if (first.kind == Kind::glob)
        return warn("allows every program matching \"" + first.texts.front() + "\"");
    for (const auto& name : first.texts) {
        if (!risky_programs().count(name)) continue;
        const bool prefix_only =
            !r.exact || (r.argv.size() > 1 && r.argv.back().kind == Kind::any_rest);
        if (prefix_only)
            warn("allows \"" + name +
                 "\" with any arguments: it runs arbitrary code; use \"exact\" or a narrower rule");
    }
}

}  // namespace

std::vector<Finding> lint_policy(std::string_view text, const std::string& name,
                                 const std::filesystem::path& workspace) {
    std::vector<Finding> findings;
    // Loading the file alone reports syntax, schema, merge, guard and example errors.
    auto stack = PolicyStack::compile({{name, std::string(text)}}, workspace, findings);
    if (!stack) return findings;
    detail::ParseContext ctx{"/nonexistent-home", 0};
    std::vector<Finding> ignored;
    auto layer = detail::parse_layer(text, name, ctx, ignored);
    if (!layer) return findings;
    const auto& rules = layer->rules;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const Rule& a = rules[i];
        over_broad(a, findings);
        if (a.require_escalated && a.decision == Decision::deny)
            findings.push_back({Finding::Severity::warning, "no-effect", a.where.str(),
                                a.field + ".require_escalated", "has no effect on a deny rule"});
        if (a.decision != Decision::allow || a.require_escalated) continue;
        for (std::size_t j = 0; j < rules.size(); ++j) {
            if (i == j || !shadows(rules[j], a)) continue;
            findings.push_back({Finding::Severity::warning, "shadowed", a.where.str(), a.field,
                                "allow rule \"" + a.id + "\" can never win: rule \"" + rules[j].id +
                                    "\" (" + std::string(decision_name(rules[j].decision)) +
                                    ") matches everything it matches"});
            break;
        }
    }
    return findings;
}

}  // namespace airlock::policy
