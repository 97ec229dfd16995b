// Guard: scores a tool call with the rule catalog against the shell parse.
#include "guard/guard.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <mutex>

#include <nlohmann/json.hpp>

#include "guard/catalog_view.hpp"
#include "guard/rule_loader.hpp"
#include "guard/rule_match.hpp"

namespace airlock::guard {

namespace detail {
Result<Catalog> load_builtin_catalog() {
    return thaw(builtin_catalog_view());
}
}  // namespace detail

namespace {

// The two rules the guard applies itself, listed after the catalog's.
constexpr std::string_view kUnknownId = "unknown_program";
constexpr std::string_view kUnknownMessage = "a program the catalog does not know";
constexpr std::string_view kUnparsedId = "unparsed";
constexpr std::string_view kUnparsedMessage = "the command (or file path) was not fully understood";

RuleInfo unknown_program_rule() {
    return {std::string(kUnknownId),
            Level::medium,
            std::string(kUnknownMessage),
            Tool::shell_exec,
            "builtin",
            {"frobnicate --all"},
            {"ls"}};
}
RuleInfo unparsed_rule() {
    return {std::string(kUnparsedId),
            Level::high,
            std::string(kUnparsedMessage),
            Tool::shell_exec,
            "builtin",
            {"echo 'unterminated"},
            {"echo ok"}};
}

}  // namespace

// The rule list is only read by listings and checks, not to decide: built on first use.
struct Guard::RuleList {
    std::once_flag once;
    std::vector<RuleInfo> rules;
};

Result<Guard> Guard::create(const nlohmann::json* extensions) {
    Guard guard;
    const detail::CatalogView& builtin = detail::builtin_catalog_view();
    if (extensions != nullptr && !extensions->is_null()) {
        detail::Catalog catalog = detail::thaw(builtin);
        if (auto ok = detail::add_extensions(catalog, *extensions); !ok) return ok.error();
        guard.catalog_ = detail::freeze(catalog, builtin.rules.size());
    } else {
        // The built-in catalog is constant data: nothing to own or free.
        guard.catalog_ = std::shared_ptr<const detail::CatalogView>(
            std::shared_ptr<const detail::CatalogView>(), &builtin);
    }
    guard.rule_list_ = std::make_shared<RuleList>();
    return guard;
}

const std::vector<RuleInfo>& Guard::rules() const {
    static const std::vector<RuleInfo> none;
    if (!catalog_ || !rule_list_) return none;
    std::call_once(rule_list_->once, [this] {
        const detail::CatalogView& cat = *catalog_;
        auto& list = rule_list_->rules;
        list.reserve(cat.rules.size() + 2);
        for (std::size_t i = 0; i < cat.rules.size(); ++i) {
            const auto& r = cat.rules[i];
            RuleInfo info;
            info.id = std::string(cat.str(r.id));
            info.level = r.level;
            info.message = std::string(cat.str(r.message));
            info.tool = r.tool;
            info.source = i < cat.builtin_rules ? "builtin" : "policy";
            for (const std::string_view e : cat.strings(r.trigger_examples))
                info.trigger_examples.emplace_back(e);
            for (const std::string_view e : cat.strings(r.pass_examples))
                info.pass_examples.emplace_back(e);
            list.push_back(std::move(info));
        }
        list.push_back(unknown_program_rule());
        list.push_back(unparsed_rule());
    });
    return rule_list_->rules;
}

bool Guard::has_rule(std::string_view id) const {
    if (!catalog_) return false;
    if (id == kUnknownId || id == kUnparsedId) return true;
    for (const auto& r : catalog_->rules)
        if (catalog_->str(r.id) == id) return true;
    return false;
}

namespace {

void add_reason(Assessment& a, std::string_view id, Level level, std::string message, int segment) {
    a.reasons.push_back({std::string(id), level, std::move(message), segment});
    if (level > a.level) a.level = level;
}

void add_reason(Assessment& a, const detail::CatalogView& cat, const detail::RuleRec& rule,
                int segment) {
    add_reason(a, cat.str(rule.id), rule.level, std::string(cat.str(rule.message)), segment);
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
bool is_known(const detail::CatalogView& cat, const Parse& parse, const Segment& seg) {
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
    if (cat.contains(cat.known, seg.argv[0])) return true;
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
    const detail::CatalogView& cat = *catalog_;
    detail::PathContext paths{workspace_text(workspace), call.cwd.empty() || call.cwd == "."};

    if (call.tool == Tool::shell_exec) {
        a.parse = call.shell ? parse_shell(*call.shell) : parse_argv(call.argv);
        if (!call.shell && call.argv.empty()) {
            a.parse.complete = false;
            a.parse.problems.push_back("empty argv");
        }
        if (!a.parse.complete) {
            std::string message(kUnparsedMessage);
            if (!a.parse.problems.empty()) message += ": " + a.parse.problems.front();
            add_reason(a, kUnparsedId, Level::high, std::move(message), -1);
        }
        detail::MatchContext ctx{a.parse.segments, paths, cat};
        std::vector<detail::AltRef> candidates;
        for (std::size_t i = 0; i < a.parse.segments.size(); ++i) {
            const Segment& seg = a.parse.segments[i];
            candidates.clear();
            const detail::ProgramAlts* indexed =
                seg.argv.empty() ? nullptr : cat.alternatives_for(seg.argv[0]);
            const detail::List<detail::AltRef> generic = cat.alts(cat.generic);
            if (indexed != nullptr) {
                const detail::List<detail::AltRef> alts = cat.alts(indexed->alts);
                std::merge(alts.begin(), alts.end(), generic.begin(), generic.end(),
                           std::back_inserter(candidates));
            } else {
                candidates.assign(generic.begin(), generic.end());
            }
            if (!seg.argv.empty()) {
                bool added = false;
                for (const auto& [prefix_ref, ref] : cat.by_prefix) {
                    const std::string_view prefix = cat.str(prefix_ref);
                    if (seg.argv[0].compare(0, prefix.size(), prefix) != 0) continue;
                    candidates.push_back(ref);
                    added = true;
                }
                if (added) std::sort(candidates.begin(), candidates.end());
            }
            std::uint32_t matched = static_cast<std::uint32_t>(-1);
            for (const auto& ref : candidates) {
                if (ref.rule == matched) continue;
                const detail::RuleRec& rule = cat.rules[ref.rule];
                if (detail::matches(cat.matchers[rule.any.first + ref.alt], i, ctx)) {
                    add_reason(a, cat, rule, static_cast<int>(i));
                    matched = ref.rule;
                }
            }
            if (!seg.argv.empty() && !seg.program_dynamic && !is_known(cat, a.parse, seg))
                add_reason(a, kUnknownId, Level::medium, std::string(kUnknownMessage),
                           static_cast<int>(i));
        }
    } else {
        if (call.path.empty() || call.path.find('\0') != std::string::npos) {
            add_reason(a, kUnparsedId, Level::high, "the file path is empty or invalid", -1);
        }
        for (std::size_t r = 0; r < cat.rules.size(); ++r) {
            if (cat.rules[r].tool != call.tool) continue;
            for (const auto& m : cat.matcher_list(cat.rules[r].any)) {
                if (detail::matches_file(m, call.path, call.content, cat, paths)) {
                    add_reason(a, cat, cat.rules[r], -1);
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
