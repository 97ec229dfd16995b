#include "cli/hooks/adapter.hpp"

namespace airlock::hooks {

std::unique_ptr<Adapter> make_claude_code_adapter();
std::unique_ptr<Adapter> make_codex_adapter();
std::unique_ptr<Adapter> make_gemini_cli_adapter();
std::unique_ptr<Adapter> make_cursor_adapter();

const std::vector<std::string>& agent_names() {
    static const std::vector<std::string> names(std::begin(kAgentNames), std::end(kAgentNames));
    return names;
}

std::unique_ptr<Adapter> make_adapter(std::string_view agent) {
    if (agent == "claude-code") return make_claude_code_adapter();
    if (agent == "codex") return make_codex_adapter();
    if (agent == "gemini-cli") return make_gemini_cli_adapter();
    if (agent == "cursor") return make_cursor_adapter();
    return nullptr;
}

Result<std::string> string_field(const nlohmann::json& object, const std::string& key,
                                 const std::string& where) {
    const auto it = object.find(key);
    if (it == object.end()) return make_error("input", where + ": missing \"" + key + "\"");
    if (!it->is_string()) return make_error("input", where + ": \"" + key + "\" is not a string");
    return it->get<std::string>();
}

std::optional<std::string> optional_string(const nlohmann::json& object, const std::string& key) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

nlohmann::json input_keys(const nlohmann::json& tool_input) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& [key, value] : tool_input.items())
        keys.push_back(key);
    return keys;
}

Result<HookRequest> parse_tool_event(const nlohmann::json& event, const std::string& where,
                                     std::string_view expected_event) {
    if (!event.is_object()) return make_error("input", where + ": not a JSON object");
    HookRequest r;
    auto event_name = string_field(event, "hook_event_name", where);
    if (!event_name) return event_name.error();
    if (*event_name != expected_event)
        return make_error("input", where + ": event \"" + *event_name + "\" is not " +
                                       std::string(expected_event) +
                                       ", the only one airlock answers");
    r.event = *event_name;
    auto session = string_field(event, "session_id", where);
    if (!session) return session.error();
    r.session_id = *session;
    auto tool = string_field(event, "tool_name", where);
    if (!tool) return tool.error();
    r.tool_name = *tool;
    const auto input = event.find("tool_input");
    if (input == event.end() || !input->is_object())
        return make_error("input", where + ": \"tool_input\" is missing or not an object");
    r.tool_input = *input;
    if (auto cwd = optional_string(event, "cwd")) r.cwd = *cwd;
    return r;
}

}  // namespace airlock::hooks
