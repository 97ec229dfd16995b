#include "guard/guard.hpp"

#include <nlohmann/json.hpp>

namespace airlock::guard {

std::string_view level_name(Level level) {
    switch (level) {
        case Level::low: return "low";
        case Level::medium: return "medium";
        case Level::high: return "high";
        case Level::critical: return "critical";
    }
    return "critical";
}

std::optional<Level> parse_level(std::string_view name) {
    if (name == "low") return Level::low;
    if (name == "medium") return Level::medium;
    if (name == "high") return Level::high;
    if (name == "critical") return Level::critical;
    return std::nullopt;
}

Result<Guard> Guard::create(const nlohmann::json* extensions) {
    (void)extensions;
    return Guard{};
}

Assessment Guard::assess(const ToolCall& call, const std::filesystem::path& workspace) const {
    (void)workspace;
    Assessment a;
    if (call.tool == Tool::shell_exec) {
        a.parse = call.shell ? parse_shell(*call.shell) : parse_argv(call.argv);
        if (!a.parse.complete) {
            a.reasons.push_back({"unparsed", Level::high, "command not understood", -1});
            a.level = Level::high;
        }
        for (std::size_t i = 0; i < a.parse.segments.size(); ++i) {
            const auto& argv = a.parse.segments[i].argv;
            if (!argv.empty() && argv[0] == "rm") {
                a.reasons.push_back({"rm", Level::high, "deletes files", static_cast<int>(i)});
                if (a.level < Level::high) a.level = Level::high;
            }
        }
    }
    a.score = static_cast<int>(a.level) * 25;
    return a;
}

nlohmann::json to_json(const Assessment& a) {
    nlohmann::json reasons = nlohmann::json::array();
    for (const auto& r : a.reasons)
        reasons.push_back({{"id", r.id},
                           {"level", level_name(r.level)},
                           {"message", r.message},
                           {"segment", r.segment}});
    return {{"level", level_name(a.level)}, {"score", a.score}, {"reasons", reasons}};
}

}  // namespace airlock::guard
