// Policy: turns a tool call (its parse and its guard risk) into allow, ask or deny.
// Layers merge so that the strictest decision wins; a lower layer never lifts a restriction.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "guard/guard.hpp"
#include "platform/result.hpp"
#include "platform/tool_call.hpp"
#include "policy/findings.hpp"
#include "policy/network.hpp"

namespace airlock::policy {

enum class Decision : int { allow = 0, ask = 1, deny = 2 };  // ordered by strictness

std::string_view decision_name(Decision decision);
std::optional<Decision> parse_decision(std::string_view name);

struct SandboxSettings {
    std::string adapter = "auto";  // auto | bwrap | seccomp | seatbelt | none
    bool required = true;          // a restricted sandbox is mandatory (none => sandbox_denied)
    bool network = false;          // "network": "on" (true) | "off" or an object (false)
    // The whole network setting: off, on, or the proxy's rules (docs/POLICY.md, Network).
    NetworkPolicy network_policy;
    std::vector<std::string> writable_roots;   // besides the workspace
    std::vector<std::string> deny_read;        // hidden inside the sandbox
    std::vector<std::string> protected_paths;  // read-only even inside writable roots
    // With the network off, sockets among the sandbox's own processes, in a network namespace
    // of its own: "on" loopback IP (AF_INET, AF_INET6), "unix" AF_UNIX as well, "off" neither.
    std::string local_sockets = "on";
    // The invoking user's toolchains, bound read-only at the same path (as root: the sandbox
    // user could not reach them in root's home otherwise).
    std::vector<std::string> toolchains = default_toolchains();
    static std::vector<std::string> default_toolchains() {
        return {"~/.cargo", "~/.rustup", "~/.pyenv", "~/.nvm", "~/.local/bin"};
    }
};

struct Limits {
    int timeout_seconds = 120;
    std::uint64_t output_bytes = 1024 * 1024;  // per stream
    std::uint64_t memory_bytes = 4ull << 30;
    int max_processes = 256;
};

struct ApprovalSettings {
    int max_repeated_denials = 2;
    int timeout_seconds = 300;
};

struct EnvSettings {
    std::vector<std::string> allow;          // keys passed through from airlock's environment
    std::map<std::string, std::string> set;  // fixed values
};

struct WalSettings {
    // Extra patterns (ECMAScript regular expressions) whose matches are replaced with
    // "[REDACTED:policy]" in every string the run log records, on top of the built-in ones.
    std::vector<std::string> redact;
};

struct RuleMatch {
    std::string rule;  // rule id ("<default>" when the default applied)
    Decision decision = Decision::deny;
    std::string reason;
    std::string layer;  // source file of the rule ("builtin" for the compiled-in policy)
    int segment = -1;   // segment index the rule matched; -1 for file tools / the call
};

struct Verdict {
    Decision decision = Decision::deny;
    std::string rule;                // the winning rule
    std::string reason;              // its reason
    std::vector<RuleMatch> matched;  // every rule that matched, per segment
    // A matched rule has "require_escalated": the call must be asked every time (an approval
    // must not be answered from a session cache).
    bool always_ask = false;
};

// Where policy layers come from, lowest first. All are optional.
struct LoadOptions {
    bool builtin = true;                                  // the compiled-in default policy
    std::optional<std::filesystem::path> user_file;       // ~/.config/airlock/policy.json
    std::optional<std::filesystem::path> workspace_file;  // <workspace>/.airlock/policy.json
    std::vector<std::filesystem::path> files;             // --policy FILE..., in order
    // Workspace that relative path globs resolve against; empty means the current directory.
    std::filesystem::path workspace;
};

// The standard layers for a workspace: built-in (unless `builtin` is false), the user's file
// ($XDG_CONFIG_HOME/airlock/policy.json or ~/.config/airlock/policy.json), the workspace's
// .airlock/policy.json, then `files`. Missing user/workspace files are skipped at load.
LoadOptions standard_load_options(const std::filesystem::path& workspace,
                                  std::vector<std::filesystem::path> files, bool builtin);

class PolicyStack {
  public:
    // Loads, validates and compiles every layer. Any error (I/O, syntax, unknown field, bad
    // value, failing example) is an Error naming "FILE:LINE:COL" and the offending field.
    static Result<PolicyStack> load(const LoadOptions& options);
    // Same, from texts (name, text) — used by tests and for the built-in policy.
    static Result<PolicyStack> from_texts(
        const std::vector<std::pair<std::string, std::string>>& layers);
    static Result<PolicyStack> from_texts(
        const std::vector<std::pair<std::string, std::string>>& layers,
        const std::filesystem::path& workspace);

    // Same again, collecting every problem (errors and nothing else) instead of stopping at
    // the first: what `airlock policy lint` reports. Empty when any error was found.
    // `workspace_layer` is the index of the workspace's own .airlock/policy.json, which may
    // narrow but never open the network (POLICY.md, "Settings across layers").
    static std::optional<PolicyStack> compile(
        const std::vector<std::pair<std::string, std::string>>& layers,
        const std::filesystem::path& workspace, std::vector<Finding>& findings,
        std::optional<std::size_t> workspace_layer = std::nullopt);

    const guard::Guard& guard() const;
    Verdict evaluate(const ToolCall& call, const guard::Assessment& assessment) const;
    // An agent's own tool that airlock does not run (an MCP tool, a web fetch), by its name:
    // only rules with "agent_tool" match it; the layers' defaults apply as for any call.
    Verdict evaluate_agent_tool(std::string_view name) const;

    const SandboxSettings& sandbox() const;
    const Limits& limits() const;
    const ApprovalSettings& approvals() const;
    const EnvSettings& env() const;
    const WalSettings& wal() const;
    std::string digest() const;  // sha256 over the layers' texts, in order
    std::vector<std::string> layer_names() const;
    const std::filesystem::path& workspace() const;  // absolute; what path globs resolve against
    std::size_t rule_count() const;

    PolicyStack(PolicyStack&&) noexcept;
    PolicyStack& operator=(PolicyStack&&) noexcept;
    ~PolicyStack();

    struct Impl;  // opaque: the compiled layers (policy/stack_impl.hpp, internal)

  private:
    explicit PolicyStack(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

std::string_view builtin_policy_text();

nlohmann::json to_json(const Verdict& verdict);

}  // namespace airlock::policy
