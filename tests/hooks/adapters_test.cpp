// Each adapter against its agent's documented hook payloads: what it reads, what it answers,
// and that a rewrite carries every field of the input.
#include <doctest/doctest.h>

#include "platform/shell_quote.hpp"

#include "cli/hooks/adapter.hpp"
#include "cli/hooks/hook_runner.hpp"

namespace airlock::hooks {

using nlohmann::json;

namespace {

json claude_event(const std::string& tool, json input) {
    return {{"session_id", "abc123"},
            {"transcript_path", "/home/u/.claude/projects/p/abc123.jsonl"},
            {"cwd", "/home/u/project"},
            {"permission_mode", "default"},
            {"hook_event_name", "PreToolUse"},
            {"tool_name", tool},
            {"tool_input", std::move(input)},
            {"tool_use_id", "toolu_01ABC"}};
}

HookRequest parsed(const Adapter& a, const json& event) {
    auto r = a.parse(event);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().describe()));
    return *r;
}

}  // namespace

TEST_CASE("claude-code: Bash is a shell command, the rewrite replaces only the command") {
    auto a = make_adapter("claude-code");
    const json input = {{"command", "npm test"},
                        {"description", "Run the tests"},
                        {"timeout", 120000},
                        {"run_in_background", false}};
    const HookRequest r = parsed(*a, claude_event("Bash", input));
    CHECK(r.kind == HookRequest::Kind::shell);
    CHECK(r.command == "npm test");
    CHECK(r.session_id == "abc123");
    CHECK(r.tool_use_id == "toolu_01ABC");
    CHECK(r.cwd == "/home/u/project");
    CHECK(r.timeout_ms == 120000);
    const auto rewritten = a->rewrite(r, "airlock exec -c 'npm test'");
    REQUIRE(rewritten);
    // updatedInput replaces the input wholesale: every other field must be there unchanged.
    json expected = input;
    expected["command"] = "airlock exec -c 'npm test'";
    CHECK(*rewritten == expected);
}

TEST_CASE("claude-code: file tools and other tools") {
    auto a = make_adapter("claude-code");
    HookRequest w =
        parsed(*a, claude_event("Write", {{"file_path", "/p/a.txt"}, {"content", "hi"}}));
    CHECK(w.kind == HookRequest::Kind::file_write);
    CHECK(w.path == "/p/a.txt");
    CHECK(w.content == "hi");
    HookRequest e = parsed(
        *a, claude_event("Edit",
                         {{"file_path", "/p/a.txt"}, {"old_string", "a"}, {"new_string", "b"}}));
    CHECK(e.kind == HookRequest::Kind::file_write);
    CHECK(e.content == "b");
    HookRequest m =
        parsed(*a, claude_event("MultiEdit", {{"file_path", "/p/a.txt"},
                                              {"edits",
                                               {{{"old_string", "a"}, {"new_string", "b"}},
                                                {{"old_string", "c"}, {"new_string", "d"}}}}}));
    CHECK(m.kind == HookRequest::Kind::file_write);
    CHECK(m.content == "b\nd\n");
    HookRequest n = parsed(*a, claude_event("NotebookEdit", {{"notebook_path", "/p/n.ipynb"},
                                                             {"new_source", "print(1)"}}));
    CHECK(n.kind == HookRequest::Kind::file_write);
    CHECK(n.path == "/p/n.ipynb");
    HookRequest rd = parsed(*a, claude_event("Read", {{"file_path", "/p/a.txt"}}));
    CHECK(rd.kind == HookRequest::Kind::file_read);
    HookRequest t = parsed(*a, claude_event("mcp__github__create_issue", {{"title", "x"}}));
    CHECK(t.kind == HookRequest::Kind::agent_tool);
    CHECK(t.details["input_keys"] == json{"title"});
    CHECK_FALSE(a->rewrite(w, "x"));  // only shell commands are rewritten
}

TEST_CASE("claude-code: malformed events are errors, never requests") {
    auto a = make_adapter("claude-code");
    CHECK_FALSE(a->parse(json::array()).ok());
    json e = claude_event("Bash", {{"command", "ls"}});
    e["hook_event_name"] = "PostToolUse";
    CHECK_FALSE(a->parse(e).ok());
    e = claude_event("Bash", {{"command", 42}});
    CHECK_FALSE(a->parse(e).ok());
    e = claude_event("Bash", {{"command", "ls"}});
    e.erase("session_id");
    CHECK_FALSE(a->parse(e).ok());
    e = claude_event("Bash", {{"command", "ls"}});
    e["tool_input"] = "ls";
    CHECK_FALSE(a->parse(e).ok());
    e = claude_event("Write", {{"file_path", "/p/a"}});  // no content
    CHECK_FALSE(a->parse(e).ok());
    e = claude_event("Bash", {{"command", "ls"}, {"timeout", "soon"}});
    CHECK_FALSE(a->parse(e).ok());
}

TEST_CASE("claude-code and codex: answers in hookSpecificOutput, failures exit 2") {
    for (const char* agent : {"claude-code", "codex"}) {
        CAPTURE(agent);
        auto a = make_adapter(agent);
        HookRequest r;
        r.kind = HookRequest::Kind::shell;
        const json rewritten = {{"command", "wrapped"}, {"description", "d"}};
        Rendered allow = a->render(r, {HookAnswer::Verdict::allow, "ok", rewritten});
        CHECK(allow.exit_code == 0);
        const json out = json::parse(allow.out);
        CHECK(out["hookSpecificOutput"]["hookEventName"] == "PreToolUse");
        CHECK(out["hookSpecificOutput"]["permissionDecision"] == "allow");
        CHECK(out["hookSpecificOutput"]["permissionDecisionReason"] == "ok");
        CHECK(out["hookSpecificOutput"]["updatedInput"] == rewritten);

        Rendered deny = a->render(r, {HookAnswer::Verdict::deny, "no", rewritten});
        const json d = json::parse(deny.out);
        CHECK(d["hookSpecificOutput"]["permissionDecision"] == "deny");
        CHECK_FALSE(d["hookSpecificOutput"].contains("updatedInput"));

        Rendered ask = a->render(r, {HookAnswer::Verdict::ask, "why", rewritten});
        const json asked = json::parse(ask.out)["hookSpecificOutput"];
        if (std::string(agent) == "claude-code") {
            CHECK(asked["permissionDecision"] == "ask");
            CHECK(asked["updatedInput"] == rewritten);
        } else {
            // Codex runs the original command unsandboxed on "ask": airlock denies instead.
            CHECK(asked["permissionDecision"] == "deny");
            CHECK(std::string(asked["permissionDecisionReason"]).find("cannot ask") !=
                  std::string::npos);
            CHECK_FALSE(asked.contains("updatedInput"));
        }

        Rendered fail = a->fail_closed("broken");
        CHECK(fail.exit_code == 2);
        CHECK(fail.err == "broken\n");
        CHECK(json::parse(fail.out)["hookSpecificOutput"]["permissionDecision"] == "deny");
    }
}

TEST_CASE("codex: its Bash event with turn_id, model and a null transcript_path") {
    auto a = make_adapter("codex");
    json e = claude_event("Bash", {{"command", "ls"}});
    e["turn_id"] = "t1";
    e["model"] = "gpt-5";
    e["transcript_path"] = nullptr;
    const HookRequest r = parsed(*a, e);
    CHECK(r.kind == HookRequest::Kind::shell);
    CHECK(r.command == "ls");
}

TEST_CASE("gemini-cli: BeforeTool events and answers") {
    auto a = make_adapter("gemini-cli");
    json e = {
        {"session_id", "s1"},
        {"transcript_path", "/t.json"},
        {"cwd", "/home/u/project"},
        {"hook_event_name", "BeforeTool"},
        {"timestamp", "2026-12-03T07:00:00Z"},
        {"tool_name", "run_shell_command"},
        {"tool_input", {{"command", "ls -la"}, {"description", "list"}, {"directory", "src"}}}};
    HookRequest r = parsed(*a, e);
    CHECK(r.kind == HookRequest::Kind::shell);
    CHECK(r.command == "ls -la");
    CHECK(r.cwd_field == "src");
    const auto rewritten = a->rewrite(r, "wrapped");
    REQUIRE(rewritten);
    CHECK(*rewritten == json{{"command", "wrapped"}});  // merged over the model's arguments

    Rendered allow = a->render(r, {HookAnswer::Verdict::allow, "ok", rewritten});
    const json out = json::parse(allow.out);
    CHECK(out["decision"] == "allow");
    CHECK(out["hookSpecificOutput"]["tool_input"]["command"] == "wrapped");
    CHECK(json::parse(
              a->render(r, {HookAnswer::Verdict::deny, "no", std::nullopt}).out)["reason"] == "no");
    CHECK(a->fail_closed("x").exit_code == 2);

    e["tool_name"] = "write_file";
    e["tool_input"] = {{"file_path", "/home/u/project/a.txt"}, {"content", "hi"}};
    CHECK(parsed(*a, e).kind == HookRequest::Kind::file_write);
    e["tool_name"] = "replace";
    e["tool_input"] = {{"file_path", "/p/a"}, {"old_string", "a"}, {"new_string", "b"}};
    CHECK(parsed(*a, e).content == "b");
    e["tool_name"] = "read_file";
    e["tool_input"] = {{"absolute_path", "/p/a"}};
    CHECK(parsed(*a, e).kind == HookRequest::Kind::file_read);
    e["tool_name"] = "web_fetch";
    e["tool_input"] = {{"prompt", "x"}};
    CHECK(parsed(*a, e).kind == HookRequest::Kind::agent_tool);
    e["hook_event_name"] = "AfterTool";
    CHECK_FALSE(a->parse(e).ok());
}

TEST_CASE("cursor: before* events answer with permission, afterFileEdit is only recorded") {
    auto a = make_adapter("cursor");
    json base = {{"conversation_id", "conv-123"},
                 {"generation_id", "gen-456"},
                 {"workspace_roots", {"/path/to/project"}}};
    json e = base;
    e["hook_event_name"] = "beforeShellExecution";
    e["command"] = "npm install express";
    e["cwd"] = "/path/to/project";
    HookRequest r = parsed(*a, e);
    CHECK(r.kind == HookRequest::Kind::shell);
    CHECK(r.session_id == "conv-123");
    CHECK(r.root == std::filesystem::path("/path/to/project"));
    CHECK_FALSE(a->rewrite(r, "wrapped"));  // Cursor cannot rewrite a shell command
    json out = json::parse(a->render(r, {HookAnswer::Verdict::deny, "no", std::nullopt}).out);
    CHECK(out["permission"] == "deny");
    CHECK(out["agent_message"] == "no");
    CHECK(out["user_message"] == "no");

    e = base;
    e["hook_event_name"] = "beforeReadFile";
    e["file_path"] = "/path/to/project/secrets.env";
    e["content"] = "API_KEY=...";
    r = parsed(*a, e);
    CHECK(r.kind == HookRequest::Kind::file_read);
    out = json::parse(a->render(r, {HookAnswer::Verdict::allow, "ok", std::nullopt}).out);
    CHECK(out == json{{"permission", "allow"}});  // beforeReadFile answers permission only

    e = base;
    e["hook_event_name"] = "beforeMCPExecution";
    e["tool_name"] = "database_query";
    e["tool_input"] = {{"query", "SELECT 1"}};
    e["url"] = "http://localhost:3000";
    CHECK(parsed(*a, e).kind == HookRequest::Kind::agent_tool);

    e = base;
    e["hook_event_name"] = "afterFileEdit";
    e["file_path"] = "/path/to/project/main.ts";
    e["edits"] = {{{"old_string", "a"}, {"new_string", "b"}}};
    r = parsed(*a, e);
    CHECK(r.kind == HookRequest::Kind::observe);
    CHECK(a->render(r, {HookAnswer::Verdict::allow, "", std::nullopt}).out == "{}\n");

    e["hook_event_name"] = "beforeSubmitPrompt";
    CHECK_FALSE(a->parse(e).ok());
    CHECK(json::parse(a->fail_closed("x").out)["permission"] == "deny");
}

TEST_CASE("shell_quote gives one word back, whatever the text, run ids are stable") {
    CHECK(airlock::shell_quote_always("a b") == "'a b'");
    CHECK(airlock::shell_quote_always("it's") == "'it'\\''s'");
    CHECK(airlock::shell_quote_always("") == "''");
    CHECK(run_id_for("claude-code", "s1") == run_id_for("claude-code", "s1"));
    CHECK(run_id_for("claude-code", "s1") != run_id_for("claude-code", "s2"));
    CHECK(run_id_for("claude-code", "../../etc").find('/') == std::string::npos);
}

}  // namespace airlock::hooks
