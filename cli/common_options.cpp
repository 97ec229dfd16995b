#include "cli/common_options.hpp"

#include <filesystem>

namespace airlock::cli {

namespace fs = std::filesystem;

void add_common_options(CLI::App* cmd, CommonOptions& o, bool runs_commands) {
    cmd->add_option("--workspace", o.workspace, "Workspace directory (default: the current one)");
    cmd->add_option("--policy", o.policies,
                    "Policy file layered on the built-in policy (repeatable)")
        ->allow_extra_args(false);
    cmd->add_flag("--no-builtin-policy", o.no_builtin_policy, "Start from an empty base policy");
    cmd->add_option("--approve", o.approve,
                    "Approval provider: tty, deny, allow, exec:PROGRAM, web (the page of a running "
                    "airlock ui) (default: tty on a terminal, else deny)");
    cmd->add_flag("--json", o.json, "Print one JSON result object on stdout");
    cmd->add_option("--unprotect", o.unprotect,
                    "Lift one entry of the protection floor (e.g. .git/hooks) for this run, so "
                    "commands and file writes may change it (repeatable, or comma-separated; "
                    "recorded in the WAL)")
        ->allow_extra_args(false)
        ->delimiter(',');
    if (runs_commands) {
        cmd->add_option("--sandbox", o.sandbox,
                        "Sandbox adapter: auto, bwrap, seccomp, seatbelt, none")
            ->check(CLI::IsMember({"auto", "bwrap", "seccomp", "seatbelt", "none"}));
        cmd->add_option("--timeout", o.timeout,
                        "Wall-clock limit in seconds (never above the policy's)")
            ->check(CLI::PositiveNumber);
    }
}

exec::SessionOptions session_options(const CommonOptions& o, bool passthrough, bool dry_run) {
    exec::SessionOptions s;
    s.workspace = o.workspace.empty() ? fs::current_path() : fs::path(o.workspace);
    s.policy = policy::standard_load_options(
        s.workspace, std::vector<fs::path>(o.policies.begin(), o.policies.end()),
        !o.no_builtin_policy);
    s.approve = o.approve;
    s.sandbox = o.sandbox;
    s.timeout_seconds = o.timeout;
    s.unprotect = o.unprotect;
    s.passthrough = passthrough;
    s.dry_run = dry_run;
    return s;
}

}  // namespace airlock::cli
