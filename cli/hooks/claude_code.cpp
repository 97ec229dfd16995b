// Claude Code's PreToolUse hook, which Codex also speaks (its shell tool arrives as "Bash" with
// {command}). Input: {session_id, transcript_path, cwd, permission_mode, hook_event_name,
// tool_name, tool_input, tool_use_id}. Output on exit 0: {"hookSpecificOutput": {hookEventName,
// permissionDecision: allow|deny|ask, permissionDecisionReason, updatedInput}}; updatedInput
// replaces the tool's input wholesale. Exit 2 blocks with stderr as the reason; any other
// non-zero exit does not block, so the hook never exits otherwise.
#include <string>

#include "cli/hooks/adapter.hpp"

namespace airlock::hooks {

namespace {

using nlohmann::json;

class ClaudeCodeAdapter : public Adapter {
  public:
    explicit ClaudeCodeAdapter(std::string name) : name_(std::move(name)) {}

    std::string_view name() const override { return name_; }
    std::string_view project_dir_env() const override {
        return name_ == "claude-code" ? "CLAUDE_PROJECT_DIR" : "";
    }

    Result<HookRequest> parse(const json& event) const override {
        const std::string where = name_ + " hook event";
        auto parsed = parse_tool_event(event, where, "PreToolUse");
        if (!parsed) return parsed.error();
        HookRequest r = std::move(parsed).value();
        if (auto id = optional_string(event, "tool_use_id")) r.tool_use_id = *id;

        const std::string in = where + " (" + r.tool_name + ") tool_input";
        const json& ti = r.tool_input;
        if (r.tool_name == "Bash") {
            auto command = string_field(ti, "command", in);
            if (!command) return command.error();
            r.kind = HookRequest::Kind::shell;
            r.command = *command;
            if (const auto t = ti.find("timeout"); t != ti.end()) {
                if (!t->is_number())
                    return make_error("input", in + ": \"timeout\" is not a number");
                r.timeout_ms = t->get<long long>();
            }
        } else if (r.tool_name == "Write" || r.tool_name == "Edit" || r.tool_name == "MultiEdit") {
            auto path = string_field(ti, "file_path", in);
            if (!path) return path.error();
            r.kind = HookRequest::Kind::file_write;
            r.path = *path;
            if (r.tool_name == "Write") {
                auto content = string_field(ti, "content", in);
                if (!content) return content.error();
                r.content = *content;
            } else if (r.tool_name == "Edit") {
                // The guard sees the text the edit puts in; the file's other lines are unchanged.
                auto text = string_field(ti, "new_string", in);
                if (!text) return text.error();
                r.content = *text;
            } else {
                const auto edits = ti.find("edits");
                if (edits == ti.end() || !edits->is_array())
                    return make_error("input", in + ": \"edits\" is missing or not an array");
                for (const auto& e : *edits) {
                    if (!e.is_object())
                        return make_error("input", in + ": an edit is not an object");
                    auto text = string_field(e, "new_string", in + " edit");
                    if (!text) return text.error();
                    r.content += *text + "\n";
                }
            }
        } else if (r.tool_name == "NotebookEdit") {
            auto path = string_field(ti, "notebook_path", in);
            if (!path) return path.error();
            r.kind = HookRequest::Kind::file_write;
            r.path = *path;
            r.content = optional_string(ti, "new_source").value_or("");
        } else if (r.tool_name == "Read") {
            auto path = string_field(ti, "file_path", in);
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
        json input = r.tool_input;  // updatedInput replaces the input: every field is carried
        input["command"] = command;
        return input;
    }

    Rendered render(const HookRequest&, const HookAnswer& answer) const override {
        HookAnswer a = answer;
        if (name_ == "codex" && a.verdict == HookAnswer::Verdict::ask) {
            // Codex (seen on 0.171) does not implement "ask": it reports the hook as failed and
            // runs the original command, outside any sandbox. So an ask is a deny there.
            a.verdict = HookAnswer::Verdict::deny;
            a.reason +=
                "; Codex cannot ask its user from a hook, so airlock denies it (approve "
                "such calls with `airlock hook codex --approve PROVIDER` or a policy rule)";
        }
        json specific = {{"hookEventName", "PreToolUse"},
                         {"permissionDecision", verdict_name(a.verdict)},
                         {"permissionDecisionReason", a.reason}};
        if (a.updated_input && a.verdict != HookAnswer::Verdict::deny)
            specific["updatedInput"] = *a.updated_input;
        return {dump(json{{"hookSpecificOutput", specific}}), "", 0};
    }

    Rendered fail_closed(const std::string& reason) const override {
        // Exit 2 blocks whatever stdout says; the deny is there for readers of the output.
        json specific = {{"hookEventName", "PreToolUse"},
                         {"permissionDecision", "deny"},
                         {"permissionDecisionReason", reason}};
        return {dump(json{{"hookSpecificOutput", specific}}), reason + "\n", 2};
    }

  private:
    static const char* verdict_name(HookAnswer::Verdict v) {
        switch (v) {
            case HookAnswer::Verdict::allow:
                return "allow";
            case HookAnswer::Verdict::ask:
                return "ask";
            case HookAnswer::Verdict::deny:
                break;
        }
        return "deny";
    }
    static std::string dump(const json& j) {
        return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    }

    std::string name_;
};

}  // namespace

std::unique_ptr<Adapter> make_claude_code_adapter() {
    return std::make_unique<ClaudeCodeAdapter>("claude-code");
}

std::unique_ptr<Adapter> make_codex_adapter() {
    return std::make_unique<ClaudeCodeAdapter>("codex");
}

}  // namespace airlock::hooks
