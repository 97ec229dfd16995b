#include "policy/subject.hpp"

#include <algorithm>

#include "platform/workspace_path.hpp"
#include "policy/glob.hpp"

namespace airlock::policy::detail {

namespace fs = std::filesystem;

bool Subject::has_reason(const std::string& id) const {
    for (const auto& r : assessment->reasons)
        if (r.id == id && (r.segment == segment || r.segment == -1 || segment == -1)) return true;
    return false;
}

namespace {

CallPath resolve(const std::string& written, const fs::path& base, const Environment& env) {
    std::string text = written;
    if (text == "~" || text.rfind("~/", 0) == 0) text = env.home + text.substr(1);
    fs::path p(text);
    if (!p.is_absolute()) p = base / p;
    p = p.lexically_normal();
    CallPath out;
    out.absolute = split_path(p.string());
    if (is_within(p, env.workspace)) {
        const fs::path rel = p.lexically_relative(env.workspace);
        std::vector<std::string> parts = split_path(rel.string());
        if (parts.size() == 1 && parts[0] == ".") parts.clear();
        out.relative = std::move(parts);
    }
    return out;
}

// Redirections that name a file (not a descriptor duplication or a here-document).
bool names_a_file(const guard::Redirect& r) {
    if (r.op.rfind("<<", 0) == 0) return false;
    if (r.op.find('&') != std::string::npos) {
        const bool fd_or_close =
            !r.target.empty() &&
            (r.target == "-" || std::all_of(r.target.begin(), r.target.end(),
                                            [](char c) { return c >= '0' && c <= '9'; }));
        if (fd_or_close || r.target.empty()) return false;
    }
    return !r.target.empty() || r.dynamic;
}

}  // namespace

std::vector<Subject> subjects_for(const ToolCall& call, const guard::Assessment& a,
                                  const Environment& env) {
    std::vector<Subject> out;
    // Risk that no reason explains applies everywhere: never lower than what the guard said.
    guard::Level explained = guard::Level::low;
    for (const auto& r : a.reasons)
        explained = std::max(explained, r.level);
    const guard::Level unexplained = a.level > explained ? a.level : guard::Level::low;

    if (call.tool != Tool::shell_exec) {
        Subject s;
        s.assessment = &a;
        s.level = a.level;
        s.paths.push_back(resolve(call.path, env.workspace, env));
        out.push_back(std::move(s));
        return out;
    }
    const fs::path cwd = call.cwd.empty() ? env.workspace : (env.workspace / call.cwd);
    out.reserve(std::max<std::size_t>(1, a.parse.segments.size()));
    for (std::size_t i = 0; i < a.parse.segments.size(); ++i) {
        const auto& seg = a.parse.segments[i];
        Subject s;
        s.segment = static_cast<int>(i);
        s.argv = &seg.argv;
        s.assessment = &a;
        s.level = unexplained;
        for (const auto& r : a.reasons)
            if (r.segment == s.segment || r.segment == -1) s.level = std::max(s.level, r.level);
        for (const auto& r : seg.redirects) {
            if (!names_a_file(r)) continue;
            if (r.dynamic) {
                CallPath p;
                p.dynamic = true;
                s.paths.push_back(std::move(p));
            } else {
                s.paths.push_back(resolve(r.target, cwd, env));
            }
        }
        out.push_back(std::move(s));
    }
    if (out.empty()) {  // nothing parsed: the call as a whole still meets risk rules and defaults
        Subject s;
        s.assessment = &a;
        s.level = a.level;
        out.push_back(std::move(s));
    }
    return out;
}

namespace {

bool path_matches(const Rule& rule, const CallPath& p) {
    if (p.dynamic) return rule.decision != Decision::allow;
    for (const auto& g : rule.path) {
        if (g.absolute) {
            if (path_glob_match(g.parts, p.absolute)) return true;
        } else if (p.relative && path_glob_match(g.parts, *p.relative)) {
            return true;
        }
    }
    return false;
}

}  // namespace

bool rule_matches(const Rule& rule, Tool tool, const Subject& s) {
    if (rule.tool && *rule.tool != tool) return false;
    if (rule.risk_at_least && s.level < *rule.risk_at_least) return false;
    if (rule.has_argv && (!s.argv || !argv_matches(rule, *s.argv))) return false;
    if (!rule.path.empty()) {
        bool any = false;
        for (const auto& p : s.paths)
            any = any || path_matches(rule, p);
        if (!any) return false;
    }
    if (rule.risk_reason && !s.has_reason(*rule.risk_reason)) return false;
    return true;
}

}  // namespace airlock::policy::detail
