#include "cli/hooks/agent_settings.hpp"

#include <nlohmann/json.hpp>

namespace airlock::hooks {

namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

constexpr const char* kBegin =
    "# >>> airlock hook (written by airlock init; airlock init codex --remove)";
constexpr const char* kEnd = "# <<< airlock hook";

bool is_ours(const ordered_json& hook) {
    if (!hook.is_object()) return false;
    const auto c = hook.find("command");
    return c != hook.end() && c->is_string() &&
           c->get<std::string>().find("airlock") != std::string::npos &&
           c->get<std::string>().find(" hook ") != std::string::npos;
}

// The events airlock's hook is installed for, and each entry's shape.
std::vector<std::string> events_of(SettingsFile::Format f) {
    switch (f) {
        case SettingsFile::Format::json_claude:
            return {"PreToolUse"};
        case SettingsFile::Format::json_gemini:
            return {"BeforeTool"};
        case SettingsFile::Format::json_cursor:
            return {"beforeShellExecution", "beforeReadFile", "beforeMCPExecution",
                    "afterFileEdit"};
        case SettingsFile::Format::toml_codex:
            break;
    }
    return {};
}

ordered_json entry_for(SettingsFile::Format f, const std::string& command) {
    if (f == SettingsFile::Format::json_cursor) return {{"command", command}, {"timeout", 30}};
    ordered_json hook = {{"type", "command"}, {"command", command}};
    if (f == SettingsFile::Format::json_gemini) {
        hook["name"] = "airlock";
        hook["timeout"] = 30000;  // milliseconds
        return {{"matcher", ".*"}, {"hooks", ordered_json::array({hook})}};
    }
    hook["timeout"] = 30;  // seconds
    return {{"matcher", "*"}, {"hooks", ordered_json::array({hook})}};
}

Result<ordered_json> parse_json(const SettingsFile& file, const std::string& text) {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return ordered_json::object();
    ordered_json j = ordered_json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error("config",
                          file.path.string() + " is not a JSON object; airlock does not change it");
    return j;
}

// Removes airlock's entries from the hooks of `event`; true when one was there.
bool strip(ordered_json& root, SettingsFile::Format f, const std::string& event) {
    if (!root.contains("hooks") || !root["hooks"].is_object()) return false;
    ordered_json& hooks = root["hooks"];
    if (!hooks.contains(event) || !hooks[event].is_array()) return false;
    ordered_json kept = ordered_json::array();
    bool found = false;
    for (auto& group : hooks[event]) {
        if (f == SettingsFile::Format::json_cursor) {
            if (is_ours(group)) {
                found = true;
                continue;
            }
            kept.push_back(group);
            continue;
        }
        if (group.is_object() && group.contains("hooks") && group["hooks"].is_array()) {
            ordered_json inner = ordered_json::array();
            for (auto& h : group["hooks"]) {
                if (is_ours(h))
                    found = true;
                else
                    inner.push_back(h);
            }
            if (inner.empty() && group["hooks"].size() > 0) continue;  // only airlock's
            group["hooks"] = inner;
        }
        kept.push_back(group);
    }
    hooks[event] = kept;
    if (kept.empty()) hooks.erase(event);
    return found;
}

// Every event has airlock's entry exactly as it would be written, and only one of airlock's.
bool has_exact_entries(const ordered_json& root, SettingsFile::Format f,
                       const std::string& command) {
    if (!root.contains("hooks") || !root["hooks"].is_object()) return false;
    const ordered_json want = entry_for(f, command);
    for (const auto& event : events_of(f)) {
        const auto list = root["hooks"].find(event);
        if (list == root["hooks"].end() || !list->is_array()) return false;
        int exact = 0, ours = 0;
        for (const auto& group : *list) {
            if (group == want) ++exact;
            if (f == SettingsFile::Format::json_cursor) {
                ours += is_ours(group) ? 1 : 0;
            } else if (group.is_object() && group.contains("hooks") && group["hooks"].is_array()) {
                for (const auto& h : group["hooks"])
                    ours += is_ours(h) ? 1 : 0;
            }
        }
        if (exact != 1 || ours != 1) return false;
    }
    return true;
}

std::string dump(const ordered_json& j) {
    return j.dump(2) + "\n";
}

std::string codex_block(const std::string& command) {
    return std::string(kBegin) + "\n[[hooks.PreToolUse]]\nmatcher = \"*\"\n\n" +
           "[[hooks.PreToolUse.hooks]]\ntype = \"command\"\ncommand = " +
           ordered_json(command).dump() + "\ntimeout = 30\n" + kEnd + "\n";
}

std::string codex_without(const std::string& text) {
    const auto begin = text.find(kBegin);
    if (begin == std::string::npos) return text;
    const auto end = text.find(kEnd, begin);
    if (end == std::string::npos) return text;
    std::size_t stop = end + std::string(kEnd).size();
    if (stop < text.size() && text[stop] == '\n') ++stop;
    // The blank line with_hook puts before the block goes with it.
    std::size_t start = begin;
    if (start >= 2 && text[start - 1] == '\n' && text[start - 2] == '\n') --start;
    return text.substr(0, start) + text.substr(stop);
}

}  // namespace

Result<SettingsFile> settings_file(const std::string& agent, bool user, const fs::path& project,
                                   const fs::path& home) {
    const fs::path base = user ? home : project;
    if (agent == "claude-code")
        return SettingsFile{base / ".claude/settings.json", SettingsFile::Format::json_claude};
    if (agent == "codex")
        return SettingsFile{base / ".codex/config.toml", SettingsFile::Format::toml_codex};
    if (agent == "gemini-cli")
        return SettingsFile{base / ".gemini/settings.json", SettingsFile::Format::json_gemini};
    if (agent == "cursor")
        return SettingsFile{base / ".cursor/hooks.json", SettingsFile::Format::json_cursor};
    return make_error("config", "unknown agent \"" + agent + "\"");
}

Result<std::string> with_hook(const SettingsFile& file, const std::string& text,
                              const std::string& command) {
    if (file.format == SettingsFile::Format::toml_codex) {
        // Already there as it would be written: nothing moves (idempotent wherever it stands).
        if (text.find(codex_block(command)) != std::string::npos &&
            codex_without(text).find(kBegin) == std::string::npos)
            return text;
        std::string rest = codex_without(text);
        if (!rest.empty() && rest.back() != '\n') rest += "\n";
        return rest + (rest.empty() ? "" : "\n") + codex_block(command);
    }
    auto root = parse_json(file, text);
    if (!root) return root.error();
    if (root->contains("hooks") && !(*root)["hooks"].is_object())
        return make_error("config", file.path.string() + ": \"hooks\" is not an object");
    if (has_exact_entries(*root, file.format, command)) return text;
    if (file.format == SettingsFile::Format::json_cursor && !root->contains("version"))
        (*root)["version"] = 1;
    for (const auto& event : events_of(file.format)) {
        strip(*root, file.format, event);
        ordered_json& list = (*root)["hooks"][event];
        if (!list.is_array()) list = ordered_json::array();
        list.push_back(entry_for(file.format, command));
    }
    return dump(*root);
}

Result<std::string> without_hook(const SettingsFile& file, const std::string& text) {
    if (file.format == SettingsFile::Format::toml_codex) return codex_without(text);
    auto root = parse_json(file, text);
    if (!root) return root.error();
    bool found = false;
    for (const auto& event : events_of(file.format))
        found = strip(*root, file.format, event) || found;
    if (!found) return text;
    if (root->contains("hooks") && (*root)["hooks"].empty()) root->erase("hooks");
    return dump(*root);
}

Result<std::string> installed_hook(const SettingsFile& file, const std::string& text) {
    if (file.format == SettingsFile::Format::toml_codex) {
        const auto begin = text.find(kBegin);
        if (begin == std::string::npos) return std::string();
        const auto line = text.find("command = ", begin);
        if (line == std::string::npos) return std::string();
        const auto eol = text.find('\n', line);
        const ordered_json value =
            ordered_json::parse(text.substr(line + 10, eol - line - 10), nullptr, false);
        return value.is_string() ? value.get<std::string>() : std::string();
    }
    auto root = parse_json(file, text);
    if (!root) return root.error();
    const auto events = events_of(file.format);
    if (!root->contains("hooks") || !(*root)["hooks"].is_object()) return std::string();
    const ordered_json& hooks = (*root)["hooks"];
    if (!hooks.contains(events.front()) || !hooks[events.front()].is_array()) return std::string();
    for (const auto& group : hooks[events.front()]) {
        if (file.format == SettingsFile::Format::json_cursor) {
            if (is_ours(group)) return group["command"].get<std::string>();
            continue;
        }
        if (group.is_object() && group.contains("hooks") && group["hooks"].is_array())
            for (const auto& h : group["hooks"])
                if (is_ours(h)) return h["command"].get<std::string>();
    }
    return std::string();
}

}  // namespace airlock::hooks
