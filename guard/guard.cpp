// Guard: scores a tool call with the rule catalog against the shell parse.
#include "guard/guard.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include <nlohmann/json.hpp>

#include "guard/rule.hpp"
#include "guard/rule_loader.hpp"
#include "guard/rule_match.hpp"

namespace airlock::guard {

Result<Guard> Guard::create(const nlohmann::json* extensions) {
    auto catalog = detail::load_builtin_catalog();
    if (!catalog) return catalog.error();
    const std::size_t builtin_count = catalog->rules.size();
    if (extensions != nullptr && !extensions->is_null()) {
        if (auto ok = detail::add_extensions(*catalog, *extensions); !ok) return ok.error();
    }
    Guard guard;
    for (std::size_t i = 0; i < catalog->rules.size(); ++i) {
        const auto& r = catalog->rules[i];
        RuleInfo info = r.info;
        info.tool = r.tool;
        info.source = i < builtin_count ? "builtin" : "policy";
        info.trigger_examples = r.trigger_examples;
        info.pass_examples = r.pass_examples;
        guard.rules_.push_back(std::move(info));
    }
    guard.rules_.push_back({"unknown_program",
                            Level::medium,
                            "a program the catalog does not know",
                            Tool::shell_exec,
                            "builtin",
                            {"frobnicate --all"},
                            {"ls"}});
    guard.rules_.push_back({"unparsed",
                            Level::high,
                            "the command (or file path) was not fully understood",
                            Tool::shell_exec,
                            "builtin",
                            {"echo 'unterminated"},
                            {"echo ok"}});
    guard.catalog_ = std::make_shared<const detail::Catalog>(std::move(*catalog));
    return guard;
}

namespace {

void add_reason(Assessment& a, const RuleInfo& info, int segment) {
    a.reasons.push_back({info.id, info.level, info.message, segment});
    if (info.level > a.level) a.level = info.level;
}

int score_of(const Assessment& a) {
    if (a.reasons.empty()) return 0;
    int at_level = 0;
    int below = 0;
    for (const auto& r : a.reasons)
        (r.level == a.level ? at_level : below) += 1;
    const int bonus = std::min(24, 6 * (at_level - 1) + 2 * below);
    return static_cast<int>(a.level) * 25 + bonus;
}

// Known: in the catalog and run from the PATH or a system directory (./configure, a script
// in the workspace, is not the program of the same name), or a function the script defines.
bool is_known(const detail::Catalog& cat, const Parse& parse, const Segment& seg) {
    const std::string& path = seg.program_path;
    if (path.find('/') != std::string::npos) {
        static constexpr std::string_view kSystemBins[] = {"/bin/", "/sbin/", "/usr/bin/",
                                                           "/usr/sbin/", "/usr/local/bin/"};
        bool system = false;
        for (auto dir : kSystemBins)
            system = system ||
                     (path.rfind(dir, 0) == 0 && path.find('/', dir.size()) == std::string::npos);
        if (!system) return false;
    }
    if (cat.known.contains(seg.argv[0])) return true;
    for (const auto& f : parse.functions)
        if (f == seg.argv[0]) return true;
    return false;
}

std::string workspace_text(const std::filesystem::path& workspace) {
    std::string w = workspace.lexically_normal().string();
    while (w.size() > 1 && w.back() == '/')
        w.pop_back();
    return w;
}

}  // namespace

Assessment Guard::assess(const ToolCall& call, const std::filesystem::path& workspace) const {
    Assessment a;
    if (!catalog_) {
        // A default-constructed Guard has no rules: fail closed.
        a.reasons.push_back({"unparsed", Level::high, "guard has no rule catalog", -1});
        a.level = Level::high;
        a.score = score_of(a);
        return a;
    }
    const detail::Catalog& cat = *catalog_;
    detail::PathContext paths{workspace_text(workspace), call.cwd.empty() || call.cwd == "."};
    const RuleInfo& unparsed = rules_.back();
    const RuleInfo& unknown = rules_[rules_.size() - 2];

    if (call.tool == Tool::shell_exec) {
        a.parse = call.shell ? parse_shell(*call.shell) : parse_argv(call.argv);
        if (!call.shell && call.argv.empty()) {
            a.parse.complete = false;
            a.parse.problems.push_back("empty argv");
        }
        if (!a.parse.complete) {
            RuleInfo info = unparsed;
            if (!a.parse.problems.empty()) info.message += ": " + a.parse.problems.front();
            add_reason(a, info, -1);
        }
        detail::MatchContext ctx{a.parse.segments, paths, cat.kinds};
        std::vector<detail::AltRef> candidates;
        for (std::size_t i = 0; i < a.parse.segments.size(); ++i) {
            const Segment& seg = a.parse.segments[i];
            candidates.clear();
            const std::vector<detail::AltRef>* indexed = nullptr;
            if (!seg.argv.empty()) {
                auto it = cat.by_program.find(seg.argv[0]);
                if (it != cat.by_program.end()) indexed = &it->second;
            }
            if (indexed != nullptr) {
                std::merge(indexed->begin(), indexed->end(), cat.generic.begin(), cat.generic.end(),
                           std::back_inserter(candidates));
            } else {
                candidates = cat.generic;
            }
            if (!seg.argv.empty()) {
                bool added = false;
                for (const auto& [prefix, ref] : cat.by_prefix) {
                    if (seg.argv[0].compare(0, prefix.size(), prefix) != 0) continue;
                    candidates.push_back(ref);
                    added = true;
                }
                if (added) std::sort(candidates.begin(), candidates.end());
            }
            std::uint32_t matched = static_cast<std::uint32_t>(-1);
            for (const auto& ref : candidates) {
                if (ref.rule == matched) continue;
                if (detail::matches(cat.rules[ref.rule].any[ref.alt], i, ctx)) {
                    add_reason(a, rules_[ref.rule], static_cast<int>(i));
                    matched = ref.rule;
                }
            }
            if (!seg.argv.empty() && !seg.program_dynamic && !is_known(cat, a.parse, seg))
                add_reason(a, unknown, static_cast<int>(i));
        }
    } else {
        if (call.path.empty() || call.path.find('\0') != std::string::npos) {
            RuleInfo info = unparsed;
            info.message = "the file path is empty or invalid";
            add_reason(a, info, -1);
        }
        for (std::size_t r = 0; r < cat.rules.size(); ++r) {
            if (cat.rules[r].tool != call.tool) continue;
            for (const auto& m : cat.rules[r].any) {
                if (detail::matches_file(m, call.path, call.content, paths)) {
                    add_reason(a, rules_[r], -1);
                    break;
                }
            }
        }
    }
    a.score = score_of(a);
    return a;
}

nlohmann::json to_json(const Segment& s) {
    nlohmann::json redirects = nlohmann::json::array();
    for (const auto& r : s.redirects)
        redirects.push_back({{"op", r.op}, {"target", r.target}, {"dynamic", r.dynamic}});
    nlohmann::json j = {{"argv", s.argv},
                        {"program_path", s.program_path},
                        {"wrappers", s.wrappers},
                        {"redirects", redirects},
                        {"dynamic", s.dynamic},
                        {"depth", s.depth},
                        {"pipeline", s.pipeline},
                        {"pipe_position", s.pipe_position},
                        {"assignment_keys", s.assignment_keys}};
    if (s.background) j["background"] = true;
    if (s.parent >= 0) j["parent"] = s.parent;
    if (!s.function.empty()) j["function"] = s.function;
    if (s.escaped) j["escaped"] = true;
    return j;
}

nlohmann::json to_json(const Assessment& a) {
    nlohmann::json reasons = nlohmann::json::array();
    for (const auto& r : a.reasons)
        reasons.push_back({{"id", r.id},
                           {"level", level_name(r.level)},
                           {"message", r.message},
                           {"segment", r.segment}});
    nlohmann::json segments = nlohmann::json::array();
    for (const auto& s : a.parse.segments)
        segments.push_back(to_json(s));
    return {{"level", level_name(a.level)}, {"score", a.score},
            {"reasons", reasons},           {"segments", segments},
            {"complete", a.parse.complete}, {"problems", a.parse.problems}};
}

}  // namespace airlock::guard
