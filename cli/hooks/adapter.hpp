// An agent's pre-tool hook, in airlock's terms: each adapter reads one agent's hook event (its
// own JSON, exactly as its docs define it) into a HookRequest, and writes airlock's answer back
// in that agent's JSON and exit status. The decision itself is exec::Session's, as for every
// other front end.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/result.hpp"
#include "platform/tool_call.hpp"

namespace airlock::hooks {

// What the agent is about to do.
struct HookRequest {
    enum class Kind {
        shell,       // a shell command: decided, then rewritten to run inside airlock
        file_write,  // Write, Edit...: decided as file_write (the agent writes the file)
        file_read,   // Read: decided as file_read (the agent reads the file)
        agent_tool,  // any other tool (MCP tools, web fetch...): policy agent_tool rules
        observe,     // an event airlock only records (the agent cannot be stopped any more)
    };
    Kind kind = Kind::agent_tool;
    std::string session_id;     // the agent's session (conversation) id: one airlock run
    std::string tool_use_id;    // the agent's id of this call, when it gives one
    std::string tool_name;      // the agent's own name for the tool
    std::string event;          // the agent's event name
    std::filesystem::path cwd;  // where the agent is (absolute), if it says
    std::optional<std::filesystem::path> root;  // the project root the agent names, if any
    std::string command;                        // shell: the command line as the agent gave it
    std::string cwd_field;  // shell: the input field naming a directory, if any ("directory")
    std::string path;       // file tools: the path as the agent gave it
    std::string content;    // file_write: the text the write puts into the file (never logged)
    std::optional<long long> timeout_ms;
    nlohmann::json tool_input;  // the agent's own input object, carried into a rewrite
    nlohmann::json details;     // observe / agent_tool: what the WAL records (no contents)
};

// airlock's answer, before it is put into the agent's format.
struct HookAnswer {
    enum class Verdict { allow, deny, ask };
    Verdict verdict = Verdict::deny;
    std::string reason;                           // for the model (deny) or the user (ask)
    std::optional<nlohmann::json> updated_input;  // the input to run instead (a rewrite)
};

// What the hook process prints and how it exits.
struct Rendered {
    std::string out;  // stdout: the agent's JSON
    std::string err;  // stderr
    int exit_code = 0;
};

class Adapter {
  public:
    virtual ~Adapter() = default;
    virtual std::string_view name() const = 0;  // "claude-code"

    // The event as the agent sent it. An unknown event, a missing or mistyped field, is an Error
    // (stage "input"): the hook then blocks.
    virtual Result<HookRequest> parse(const nlohmann::json& event) const = 0;

    // The agent's input with the command replaced by `command`, every other field kept. nullopt
    // when this agent cannot rewrite the input of this event: the command then runs as the
    // agent runs it, outside airlock's sandbox (the decision still holds).
    virtual std::optional<nlohmann::json> rewrite(const HookRequest& request,
                                                  const std::string& command) const = 0;

    virtual Rendered render(const HookRequest& request, const HookAnswer& answer) const = 0;

    // Anything that went wrong before an answer (bad input, an airlock error, an exception):
    // the agent's blocking result. Never an allow.
    virtual Rendered fail_closed(const std::string& reason) const = 0;

    // The environment variable in which the agent names the project root for hooks, if any.
    virtual std::string_view project_dir_env() const { return {}; }
};

// "claude-code", "codex", "gemini-cli", "cursor"; null for anything else.
std::unique_ptr<Adapter> make_adapter(std::string_view agent);
inline constexpr std::string_view kAgentNames[] = {"claude-code", "codex", "gemini-cli", "cursor"};
const std::vector<std::string>& agent_names();

// Helpers the adapters share: typed field access with errors that name the field.
Result<std::string> string_field(const nlohmann::json& object, const std::string& key,
                                 const std::string& where);
std::optional<std::string> optional_string(const nlohmann::json& object, const std::string& key);

// An other tool's input is recorded by its keys only (its values may hold anything).
nlohmann::json input_keys(const nlohmann::json& tool_input);

// The fields Claude Code's, Codex's and Gemini CLI's tool events share: hook_event_name (which
// must be `event`), session_id, tool_name, tool_input (an object) and cwd.
Result<HookRequest> parse_tool_event(const nlohmann::json& event, const std::string& where,
                                     std::string_view expected_event);

}  // namespace airlock::hooks
