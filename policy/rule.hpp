// The compiled form of a policy layer: what the loader produces and the evaluator reads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "guard/guard.hpp"
#include "platform/located_json.hpp"
#include "policy/policy.hpp"

namespace airlock::policy::detail {

// One element of an argv pattern.
struct TokenPattern {
    enum class Kind { literal, glob, any_one, any_rest, alternatives };
    Kind kind = Kind::literal;
    std::vector<std::string>
        texts;  // literal/glob: one entry; alternatives: each (literal or glob)

    bool matches(std::string_view token) const;
    bool is_plain_literal() const { return kind == Kind::literal; }
};

// A path glob after `~` expansion. Absolute globs match absolute paths; the others match
// paths inside the workspace, relative to its root ("**/" is prepended to a glob with no '/').
struct PathGlob {
    std::string text;  // as written, for messages
    bool absolute = false;
    std::vector<std::string> parts;
};

// A place in a policy file. It is turned into "FILE:LINE:COL" only when a message needs it, so
// that loading a large valid policy never computes source locations.
class Where {
  public:
    Where() = default;
    Where(std::shared_ptr<const LocatedJson> doc, std::string pointer)
        : doc_(std::move(doc)), pointer_(std::move(pointer)) {}
    std::string str() const { return doc_ ? doc_->where(pointer_) : std::string(); }

  private:
    std::shared_ptr<const LocatedJson> doc_;
    std::string pointer_;
};

struct Example {
    nlohmann::json call;  // string, argv array or call object, as written
    Where where;
    std::string field;  // rules[3].examples.match[0]
    bool expect_match = true;
};

struct Rule {
    std::string id;
    std::string reason;
    Decision decision = Decision::deny;
    std::optional<Tool> tool;  // nullopt: every tool
    bool has_argv = false;
    bool exact = false;
    std::vector<TokenPattern> argv;
    std::vector<PathGlob> path;
    std::optional<guard::Level> risk_at_least;
    std::optional<std::string> risk_reason;
    bool require_escalated = false;
    // agent_tool: globs on the name of an agent's own tool (an MCP tool
    // "mcp__github__create_issue", "WebFetch"), decided by airlock's agent hooks. Such a rule
    // matches nothing else.
    std::vector<std::string> agent_tool;
    std::vector<Example> examples;
    Where where;        // the rule object
    std::string field;  // "rules[3]"
    std::size_t layer = 0;

    bool has_matchers() const {
        return has_argv || !path.empty() || risk_at_least || risk_reason || !agent_tool.empty();
    }
    bool matches_agent_tool(std::string_view name) const;
};

bool argv_matches(const Rule& rule, const std::vector<std::string>& argv);

// Settings as a layer wrote them; unset fields do not take part in the merge.
struct LayerSettings {
    std::optional<std::string> adapter;
    std::optional<bool> required;
    std::optional<bool> network;                     // "on" | "off"
    std::optional<NetworkLayerRules> network_rules;  // the object form
    std::optional<std::string> local_sockets;
    std::optional<std::vector<std::string>> toolchains;
    std::optional<std::vector<std::string>> writable_roots;
    std::optional<std::vector<std::string>> deny_read;
    std::optional<std::vector<std::string>> protected_paths;
    std::optional<int> timeout_seconds;
    std::optional<std::uint64_t> output_bytes;
    std::optional<std::uint64_t> memory_bytes;
    std::optional<int> max_processes;
    std::optional<int> max_repeated_denials;
    std::optional<int> approval_timeout_seconds;
    std::optional<std::vector<std::string>> wal_redact;
    std::optional<std::vector<std::string>> env_allow;
    std::optional<std::map<std::string, std::string>> env_set;
};

struct Layer {
    std::string name;
    bool from_workspace = false;  // the workspace's own .airlock/policy.json
    std::optional<Decision> default_decision;
    Where default_where;
    std::vector<Rule> rules;
    LayerSettings settings;
    std::optional<nlohmann::json> guard;
    Where guard_where;
};

}  // namespace airlock::policy::detail
