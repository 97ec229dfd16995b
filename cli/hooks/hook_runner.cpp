#include "cli/hooks/hook_runner.hpp"

#include <cmath>
#include <cstdlib>
#include <exception>

#include "exec/session.hpp"
#include "exec/tool_schema_input.hpp"
#include "platform/sha256.hpp"
#include "platform/shell_quote.hpp"
#include "policy/policy.hpp"
#include "sandbox/floor.hpp"

namespace airlock::hooks {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t kMaxEventBytes = 64 << 20;  // a Write of a large file comes in the event

std::string sanitized_id(std::string_view id) {
    std::string out;
    for (char ch : id) {
        if (out.size() >= 40) break;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '_' || ch == '-')
            out.push_back(ch);
    }
    return out;
}

// `path` as the call gives it to the Session: relative to the workspace when it lies inside,
// else as it is (absolute), which the Session rejects with its own message.
std::string relative_to(const fs::path& workspace, const fs::path& path) {
    // The workspace itself, the cwd an agent mostly gives: it is canonical, nothing to look up.
    if (path == workspace) return "";
    std::error_code ec;
    const fs::path normal = fs::weakly_canonical(path, ec);
    const fs::path rel = (ec ? path.lexically_normal() : normal).lexically_relative(workspace);
    if (rel.empty() || *rel.begin() == "..") return path.string();
    if (rel == ".") return "";
    return rel.string();
}

fs::path resolve_workspace(const Adapter& adapter, const HookOptions& o, const HookRequest& r) {
    if (!o.workspace.empty()) return fs::absolute(o.workspace);
    if (const auto env = adapter.project_dir_env(); !env.empty())
        if (const char* dir = std::getenv(std::string(env).c_str()); dir && *dir) return dir;
    if (r.root) return *r.root;
    if (!r.cwd.empty()) return r.cwd;
    return fs::current_path();
}

std::string stage_reason(const exec::CallResult& result) {
    std::string where = "stage " + (result.stage.empty() ? std::string("policy") : result.stage);
    if (result.decision && (result.stage == "policy" || result.stage.empty()))
        where += ", rule \"" + result.decision->rule + "\"";
    return "airlock denied this (" + where + "): " + result.message;
}

std::string wrapped_command(const HookOptions& o, const fs::path& workspace,
                            const exec::CallResult& decided, const ToolCall& call,
                            const std::string& command) {
    std::string out = shell_quote_always(o.airlock_binary.string()) + " exec --run " +
                      shell_quote_always(decided.run_id) + " --grant " + decided.grant +
                      " --transparent --workspace " + shell_quote_always(workspace.string());
    if (!call.cwd.empty()) out += " --cwd " + shell_quote_always(call.cwd);
    for (const auto& p : o.policies)
        out += " --policy " + shell_quote_always(fs::absolute(p).string());
    if (o.no_builtin_policy) out += " --no-builtin-policy";
    for (const auto& u : o.unprotect)
        out += " --unprotect " + shell_quote_always(u);
    if (!o.sandbox.empty()) out += " --sandbox " + shell_quote_always(o.sandbox);
    if (call.timeout_ms && *call.timeout_ms > 0)
        out += " --timeout " + std::to_string((*call.timeout_ms + 999) / 1000);
    out += " -c " + shell_quote_always(command);
    return out;
}

exec::SessionOptions session_options(const Adapter& adapter, const HookOptions& o,
                                     const fs::path& workspace, const HookRequest& r) {
    exec::SessionOptions s;
    s.workspace = workspace;
    s.policy = policy::standard_load_options(
        workspace, std::vector<fs::path>(o.policies.begin(), o.policies.end()),
        !o.no_builtin_policy);
    s.approve = o.approve.empty() ? "deny" : o.approve;  // unused when the agent asks
    s.sandbox = o.sandbox;
    s.unprotect = o.unprotect;
    s.single_call = true;
    s.run_id = run_id_for(adapter.name(), r.session_id);
    if (const std::string id = sanitized_id(r.tool_use_id); !id.empty())
        s.call_id_prefix = id + "-c";
    s.front_end = "hook " + std::string(adapter.name());
    s.decide_only = true;
    s.ask_caller = o.approve.empty();
    return s;
}

Rendered answer_for(const Adapter& adapter, const HookOptions& o, const HookRequest& r) {
    const fs::path workspace = resolve_workspace(adapter, o, r);
    auto session = exec::Session::open(session_options(adapter, o, workspace, r));
    if (session->startup_error()) {
        const Error& e = *session->startup_error();
        const std::string reason = "airlock could not decide this (stage " + e.stage +
                                   "): " + e.describe() + "; nothing was run";
        (void)session->finish();
        return adapter.fail_closed(reason);
    }
    const fs::path& ws = session->workspace();
    const fs::path cwd = r.cwd.empty() ? ws : fs::path(r.cwd);
    auto in_workspace = [&](const std::string& path) {
        fs::path p(path);
        if (p.is_relative()) p = cwd / p;
        return relative_to(ws, p);
    };

    exec::CallResult result;
    ToolCall call;
    switch (r.kind) {
        case HookRequest::Kind::observe: {
            json data = {{"agent", adapter.name()}, {"event", r.event}, {"tool", r.tool_name}};
            if (!r.details.is_null()) data["details"] = r.details;
            if (!r.path.empty()) {
                const std::string rel = in_workspace(r.path);
                if (auto entry = sandbox::floor_entry_for(rel, o.unprotect))
                    data["under_floor"] = *entry;  // done already; on the record for review
            }
            session->record_event("agent_event", "", data);
            if (auto synced = session->finish(); !synced)
                return adapter.fail_closed("airlock: " + synced.error().describe());
            return adapter.render(r, {HookAnswer::Verdict::allow, "", std::nullopt});
        }
        case HookRequest::Kind::agent_tool:
            result = session->decide_agent_tool(r.tool_name, r.details);
            break;
        case HookRequest::Kind::shell:
            call.tool = Tool::shell_exec;
            call.shell = r.command;
            call.cwd = r.cwd_field.empty() ? in_workspace(cwd.string()) : in_workspace(r.cwd_field);
            call.timeout_ms = r.timeout_ms;
            break;
        case HookRequest::Kind::file_write:
            call.tool = Tool::file_write;
            call.path = in_workspace(r.path);
            call.content = r.content;
            break;
        case HookRequest::Kind::file_read:
            call.tool = Tool::file_read;
            call.path = in_workspace(r.path);
            break;
    }
    if (r.kind != HookRequest::Kind::agent_tool) {
        if (auto input = exec::check_call_input(call); !input)
            result = session->reject(std::string(tool_name(call.tool)), input.error());
        else
            result = session->handle(call);
    }
    if (auto synced = session->finish(); !synced)
        return adapter.fail_closed("airlock: " + synced.error().describe());

    if (result.status == exec::Status::error)
        return adapter.fail_closed("airlock could not decide this (stage " + result.stage +
                                   "): " + result.message + "; nothing was run");
    if (result.status != exec::Status::ok || result.decided.empty())
        return adapter.render(r, {HookAnswer::Verdict::deny, stage_reason(result), std::nullopt});

    const std::string rule = result.decision ? result.decision->rule : "";
    HookAnswer answer;
    answer.verdict =
        result.decided == "ask" ? HookAnswer::Verdict::ask : HookAnswer::Verdict::allow;
    if (answer.verdict == HookAnswer::Verdict::ask)
        answer.reason = "airlock asks (rule \"" + rule +
                        "\"): " + (result.decision ? result.decision->reason : std::string());
    else
        answer.reason = "airlock allowed this (rule \"" + rule + "\")";
    if (r.kind == HookRequest::Kind::shell && !result.grant.empty()) {
        answer.updated_input = adapter.rewrite(r, wrapped_command(o, ws, result, call, r.command));
        if (answer.updated_input)
            answer.reason += "; it runs in airlock's sandbox, run " + result.run_id;
    }
    return adapter.render(r, answer);
}

// Records input that could not be read as an event, when it names a session at all.
void record_rejection(const Adapter& adapter, const HookOptions& o, const std::string& input,
                      const Error& error) {
    const json event = json::parse(input, nullptr, false);
    if (!event.is_object()) return;
    HookRequest r;
    for (const char* key : {"session_id", "conversation_id"})
        if (auto id = optional_string(event, key)) r.session_id = *id;
    if (r.session_id.empty()) return;
    if (auto cwd = optional_string(event, "cwd")) r.cwd = *cwd;
    const fs::path workspace = resolve_workspace(adapter, o, r);
    std::error_code ec;
    if (!fs::is_directory(workspace, ec)) return;
    auto session = exec::Session::open(session_options(adapter, o, workspace, r));
    const std::string tool = optional_string(event, "tool_name").value_or("hook_event");
    (void)session->reject(tool, error);
    (void)session->finish();
}

}  // namespace

std::string run_id_for(std::string_view agent, std::string_view session_id) {
    return std::string(agent) + "-" + sha256_hex(session_id).substr(0, 24);
}

Rendered run_hook(const Adapter& adapter, const HookOptions& options, const std::string& input) {
    try {
        if (input.size() > kMaxEventBytes)
            return adapter.fail_closed("airlock: the hook event is larger than " +
                                       std::to_string(kMaxEventBytes >> 20) + " MiB");
        const json event = json::parse(input, nullptr, false);
        if (event.is_discarded())
            return adapter.fail_closed("airlock: the hook event on standard input is not JSON");
        auto request = adapter.parse(event);
        if (!request) {
            try {
                record_rejection(adapter, options, input, request.error());
            } catch (...) {
            }
            return adapter.fail_closed("airlock: " + request.error().describe());
        }
        return answer_for(adapter, options, *request);
    } catch (const std::exception& e) {
        return adapter.fail_closed(std::string("airlock: internal error: ") + e.what());
    } catch (...) {
        return adapter.fail_closed("airlock: internal error");
    }
}

}  // namespace airlock::hooks
