#include "cli/hooks/adapter.hpp"

namespace airlock::hooks {

std::unique_ptr<Adapter> make_claude_code_adapter();
std::unique_ptr<Adapter> make_codex_adapter();
std::unique_ptr<Adapter> make_gemini_cli_adapter();
std::unique_ptr<Adapter> make_cursor_adapter();

const std::vector<std::string>& agent_names() {
    static const std::vector<std::string> names = {"claude-code", "codex", "gemini-cli", "cursor"};
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

}  // namespace airlock::hooks
