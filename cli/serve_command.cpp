// airlock serve: an MCP server on stdio whose tools run through the whole pipeline.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/mcp/server.hpp"
#include "policy/policy.hpp"

namespace airlock::cli {

namespace {

namespace fs = std::filesystem;

struct ServeOptions {
    std::string workspace;
    std::vector<std::string> policies;
    bool no_builtin_policy = false;
    std::string approve_fallback = "deny";
    std::string sandbox;
    std::optional<int> timeout;
    std::vector<std::string> unprotect;
    int progress_interval_ms = 10000;
    std::string result_text = "concise";
    long long request_state_ttl_ms = 0;
};

// The fallback answers asks when the client cannot elicit; a terminal prompt is impossible
// because stdin is the protocol stream.
std::string check_fallback(const std::string& spec) {
    if (spec == "deny" || spec == "allow" || spec == "web") return "";
    if (spec.rfind("exec:", 0) == 0 && spec.size() > 5) return "";
    return "must be deny, allow, exec:PROGRAM or web";
}

}  // namespace

void add_serve_commands(CLI::App& app, int& exit_status) {
    auto o = std::make_shared<ServeOptions>();
    CLI::App* cmd = app.add_subcommand(
        "serve", "Serve shell_exec, file_write and file_read as an MCP server on stdio");
    cmd->add_option("--workspace", o->workspace, "Workspace directory (default: the current one)");
    cmd->add_option("--policy", o->policies,
                    "Policy file layered on the built-in policy (repeatable)")
        ->allow_extra_args(false);
    cmd->add_flag("--no-builtin-policy", o->no_builtin_policy, "Start from an empty base policy");
    cmd->add_option("--approve-fallback", o->approve_fallback,
                    "Who answers an ask when the client has no elicitation: deny, allow, "
                    "exec:PROGRAM, web (the page of a running airlock ui; default: deny)")
        ->check(CLI::Validator(check_fallback, "deny|allow|exec:PROGRAM|web"));
    cmd->add_option("--sandbox", o->sandbox,
                    "Sandbox adapter: auto, bwrap, seccomp, seatbelt, none")
        ->check(CLI::IsMember({"auto", "bwrap", "seccomp", "seatbelt", "none"}));
    cmd->add_option("--timeout", o->timeout,
                    "Wall-clock limit per command in seconds (never above the policy's)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--unprotect", o->unprotect,
                    "Lift one entry of the protection floor (e.g. .git/hooks) for this session "
                    "(repeatable, or comma-separated; recorded in the WAL)")
        ->allow_extra_args(false)
        ->delimiter(',');
    cmd->add_option("--progress-interval-ms", o->progress_interval_ms,
                    "How often a call with a progress token reports progress (default: 10000)")
        ->check(CLI::Range(100, 3600000));
    cmd->add_option("--result-text", o->result_text,
                    "What the text of a tools/call result holds: concise (the output, stderr, "
                    "exit status or one line for a block; the default) or full (the whole result "
                    "as JSON)")
        ->check(CLI::IsMember({"concise", "full"}));
    // For tests of expiry: how long a 2026-07-28 requestState is accepted (default: the
    // policy's approval timeout).
    cmd->add_option("--request-state-ttl-ms", o->request_state_ttl_ms)
        ->check(CLI::Range(1LL, 86400000LL))
        ->group("");
    cmd->callback([&exit_status, o] {
        mcp::ServerOptions s;
        s.session.workspace = o->workspace.empty() ? fs::current_path() : fs::path(o->workspace);
        s.session.policy = policy::standard_load_options(
            s.session.workspace, std::vector<fs::path>(o->policies.begin(), o->policies.end()),
            !o->no_builtin_policy);
        s.session.sandbox = o->sandbox;
        s.session.timeout_seconds = o->timeout;
        s.session.unprotect = o->unprotect;
        s.elicitation.fallback_spec = o->approve_fallback;
        s.progress_interval = std::chrono::milliseconds(o->progress_interval_ms);
        s.result_text = o->result_text == "full" ? mcp::ResultText::full : mcp::ResultText::concise;
        s.elicitation.request_state_ttl = std::chrono::milliseconds(o->request_state_ttl_ms);
        exit_status = mcp::serve(std::move(s));
    });
}

}  // namespace airlock::cli
