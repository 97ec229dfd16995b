// Guard: scores the risk of a tool call before any decision is made.
// Contract: never throws, never returns `low` for what it did not understand.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "guard/shell_parse.hpp"
#include "platform/result.hpp"
#include "platform/tool_call.hpp"

namespace airlock::guard {

enum class Level : int { low = 0, medium = 1, high = 2, critical = 3 };

std::string_view level_name(Level level);
std::optional<Level> parse_level(std::string_view name);

struct Reason {
    std::string id;  // stable rule id, e.g. "rm_recursive_root"
    Level level = Level::low;
    std::string message;  // human readable
    int segment = -1;     // index into Assessment::parse.segments; -1 for the call as a whole
};

struct Assessment {
    Level level = Level::low;
    int score = 0;  // 0..100, grows with level and the number of reasons
    std::vector<Reason> reasons;
    Parse parse;  // the same parse the policy stage matches against
};

struct RuleInfo {
    std::string id;
    Level level = Level::low;
    std::string message;
    // Added fields (additive to the original interface):
    Tool tool = Tool::shell_exec;               // which tool calls the rule looks at
    std::string source = "builtin";             // "builtin" or "policy" (a guard extension)
    std::vector<std::string> trigger_examples;  // shell commands that must match it
    std::vector<std::string> pass_examples;     // shell commands that must not
    bool operator==(const RuleInfo&) const = default;
};

namespace detail {
struct CatalogView;
}

class Guard {
  public:
    // The built-in catalog, extended by a policy's `guard` section (may be null).
    static Result<Guard> create(const nlohmann::json* extensions = nullptr);

    Assessment assess(const ToolCall& call, const std::filesystem::path& workspace) const;
    // Every rule, the catalog's and then unknown_program and unparsed (built on first call).
    const std::vector<RuleInfo>& rules() const;
    bool has_rule(std::string_view id) const;

  private:
    struct RuleList;
    std::shared_ptr<const detail::CatalogView> catalog_;  // compiled rules, shared by copies
    std::shared_ptr<RuleList> rule_list_;
};

// {"level", "score", "reasons": [...], "segments": [...], "complete", "problems"}
nlohmann::json to_json(const Assessment& assessment);
nlohmann::json to_json(const Segment& segment);

}  // namespace airlock::guard
