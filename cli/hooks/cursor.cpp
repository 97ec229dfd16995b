// Cursor's hooks (hooks.json, version 1). Every event carries {hook_event_name, conversation_id,
// generation_id, workspace_roots}. beforeShellExecution {command, cwd}, beforeMCPExecution
// {tool_name, tool_input}, beforeReadFile {file_path, content} answer {permission: allow|deny|ask,
// user_message, agent_message}; afterFileEdit {file_path, edits} is told after the fact and
// answers {}. These events cannot rewrite the command: an allowed command runs as Cursor runs it.
#include <string>

#include "cli/hooks/adapter.hpp"

namespace airlock::hooks {

namespace {

using nlohmann::json;

class CursorAdapter : public Adapter {
  public:
    std::string_view name() const override { return "cursor"; }

    Result<HookRequest> parse(const json& event) const override {
        const std::string where = "cursor hook event";
        if (!event.is_object()) return make_error("input", where + ": not a JSON object");
        HookRequest r;
        auto event_name = string_field(event, "hook_event_name", where);
        if (!event_name) return event_name.error();
        r.event = *event_name;
        auto conversation = string_field(event, "conversation_id", where);
        if (!conversation) return conversation.error();
        r.session_id = *conversation;
        if (auto id = optional_string(event, "generation_id")) r.tool_use_id = *id;
        if (const auto roots = event.find("workspace_roots");
            roots != event.end() && roots->is_array() && !roots->empty() &&
            roots->front().is_string())
            r.root = roots->front().get<std::string>();
        const std::string in = where + " (" + r.event + ")";
        if (r.event == "beforeShellExecution") {
            auto command = string_field(event, "command", in);
            if (!command) return command.error();
            r.kind = HookRequest::Kind::shell;
            r.tool_name = "shell";
            r.command = *command;
            if (auto cwd = optional_string(event, "cwd")) r.cwd = *cwd;
        } else if (r.event == "beforeReadFile") {
            auto path = string_field(event, "file_path", in);
            if (!path) return path.error();
            r.kind = HookRequest::Kind::file_read;
            r.tool_name = "read_file";
            r.path = *path;
        } else if (r.event == "beforeMCPExecution") {
            auto tool = string_field(event, "tool_name", in);
            if (!tool) return tool.error();
            r.kind = HookRequest::Kind::agent_tool;
            r.tool_name = *tool;
            r.details = json::object();
            if (auto url = optional_string(event, "url")) r.details["server_url"] = *url;
            if (auto cmd = optional_string(event, "command")) r.details["server_command"] = *cmd;
        } else if (r.event == "afterFileEdit") {
            auto path = string_field(event, "file_path", in);
            if (!path) return path.error();
            r.kind = HookRequest::Kind::observe;
            r.tool_name = "edit_file";
            r.path = *path;
            std::size_t edits = 0;
            if (const auto e = event.find("edits"); e != event.end() && e->is_array())
                edits = e->size();
            r.details = {{"path", *path}, {"edits", edits}};
        } else {
            return make_error("input", where + ": event \"" + r.event +
                                           "\" is not one airlock answers (beforeShellExecution, "
                                           "beforeReadFile, beforeMCPExecution, afterFileEdit)");
        }
        return r;
    }

    std::optional<json> rewrite(const HookRequest&, const std::string&) const override {
        return std::nullopt;
    }

    Rendered render(const HookRequest& r, const HookAnswer& a) const override {
        if (r.kind == HookRequest::Kind::observe) return {"{}\n", "", 0};
        json out = {{"permission", a.verdict == HookAnswer::Verdict::allow ? "allow"
                                   : a.verdict == HookAnswer::Verdict::ask ? "ask"
                                                                           : "deny"}};
        if (r.event != "beforeReadFile" && !a.reason.empty()) {
            out["user_message"] = a.reason;
            out["agent_message"] = a.reason;
        }
        return {out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", "", 0};
    }

    Rendered fail_closed(const std::string& reason) const override {
        json out = {{"permission", "deny"}, {"user_message", reason}, {"agent_message", reason}};
        return {out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", reason + "\n", 2};
    }
};

}  // namespace

std::unique_ptr<Adapter> make_cursor_adapter() {
    return std::make_unique<CursorAdapter>();
}

}  // namespace airlock::hooks
