// Gemini CLI's BeforeTool hook. Input: {session_id, transcript_path, cwd, hook_event_name:
// "BeforeTool", timestamp, tool_name, tool_input, mcp_context?}. Output on exit 0: {decision:
// allow|deny|ask, reason, hookSpecificOutput: {hookEventName, tool_input}}; tool_input merges
// with and overrides the model's arguments. Exit 2 blocks the tool with stderr as the reason;
// other non-zero exits are only warnings.
#include <string>

#include "cli/hooks/adapter.hpp"

namespace airlock::hooks {

namespace {

using nlohmann::json;

class GeminiCliAdapter : public Adapter {
  public:
    std::string_view name() const override { return "gemini-cli"; }
    std::string_view project_dir_env() const override { return "GEMINI_PROJECT_DIR"; }

    Result<HookRequest> parse(const json& event) const override {
        const std::string where = "gemini-cli hook event";
        auto parsed = parse_tool_event(event, where, "BeforeTool");
        if (!parsed) return parsed.error();
        HookRequest r = std::move(parsed).value();

        const std::string in = where + " (" + r.tool_name + ") tool_input";
        const json& ti = r.tool_input;
        // A file tool names its file in one of these, depending on the CLI's version.
        auto file_path = [&]() -> Result<std::string> {
            for (const char* key : {"file_path", "absolute_path", "path"})
                if (auto p = optional_string(ti, key)) return *p;
            return make_error("input", in + ": no \"file_path\" (or absolute_path, path)");
        };
        if (r.tool_name == "run_shell_command") {
            auto command = string_field(ti, "command", in);
            if (!command) return command.error();
            r.kind = HookRequest::Kind::shell;
            r.command = *command;
            // The directory to run in, relative to the project root (named differently by
            // different versions).
            for (const char* key : {"dir_path", "directory"})
                if (auto d = optional_string(ti, key); d && !d->empty()) r.cwd_field = *d;
        } else if (r.tool_name == "write_file" || r.tool_name == "replace") {
            auto path = file_path();
            if (!path) return path.error();
            r.kind = HookRequest::Kind::file_write;
            r.path = *path;
            auto content =
                string_field(ti, r.tool_name == "write_file" ? "content" : "new_string", in);
            if (!content) return content.error();
            r.content = *content;
        } else if (r.tool_name == "read_file") {
            auto path = file_path();
            if (!path) return path.error();
            r.kind = HookRequest::Kind::file_read;
            r.path = *path;
        } else {
            r.kind = HookRequest::Kind::agent_tool;
            r.details = {{"input_keys", input_keys(ti)}};
        }
        return r;
    }

    std::optional<json> rewrite(const HookRequest& r, const std::string& command) const override {
        if (r.kind != HookRequest::Kind::shell) return std::nullopt;
        // Merged over the model's arguments: the directory is left as it was (airlock's command
        // names its own working directory).
        return json{{"command", command}};
    }

    Rendered render(const HookRequest&, const HookAnswer& a) const override {
        json out = {{"decision", a.verdict == HookAnswer::Verdict::allow ? "allow"
                                 : a.verdict == HookAnswer::Verdict::ask ? "ask"
                                                                         : "deny"},
                    {"reason", a.reason}};
        if (a.updated_input && a.verdict != HookAnswer::Verdict::deny)
            out["hookSpecificOutput"] = {{"hookEventName", "BeforeTool"},
                                         {"tool_input", *a.updated_input}};
        return {out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", "", 0};
    }

    Rendered fail_closed(const std::string& reason) const override {
        json out = {{"decision", "deny"}, {"reason", reason}};
        return {out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", reason + "\n", 2};
    }
};

}  // namespace

std::unique_ptr<Adapter> make_gemini_cli_adapter() {
    return std::make_unique<GeminiCliAdapter>();
}

}  // namespace airlock::hooks
