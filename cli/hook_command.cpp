// airlock hook AGENT: an agent's pre-tool hook (cli/hooks/). Reads the event on stdin, answers in
// the agent's JSON on stdout, and exits as the agent's contract says: 0 with the answer, 2 to
// block when anything went wrong. Nothing that fails here may turn into an allow.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/hooks/hook_runner.hpp"

namespace airlock::cli {

namespace {

namespace fs = std::filesystem;

fs::path own_binary() {
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec || self.empty()) return "airlock";
    return self;
}

}  // namespace

void add_hook_command(CLI::App& app, int& exit_status) {
    auto o = std::make_shared<hooks::HookOptions>();
    auto agent = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(
        "hook",
        "Answer an agent's pre-tool hook event (stdin) in its own format: airlock hook "
        "claude-code | codex | gemini-cli | cursor");
    cmd->add_option("agent", *agent, "claude-code, codex, gemini-cli or cursor")
        ->required()
        ->check(CLI::IsMember(hooks::agent_names()));
    cmd->add_option("--workspace", o->workspace,
                    "Workspace directory (default: the agent's project directory, else its cwd)");
    cmd->add_option("--policy", o->policies,
                    "Policy file layered on the built-in policy (repeatable)")
        ->allow_extra_args(false);
    cmd->add_flag("--no-builtin-policy", o->no_builtin_policy, "Start from an empty base policy");
    cmd->add_option("--approve", o->approve,
                    "Approval provider for calls the policy asks about: deny, allow, "
                    "exec:PROGRAM, web (the page of a running airlock ui; default: the agent "
                    "asks its user)");
    cmd->add_option("--sandbox", o->sandbox, "Sandbox adapter for the wrapped commands")
        ->check(CLI::IsMember({"auto", "bwrap", "seccomp", "seatbelt", "none"}));
    cmd->add_option("--unprotect", o->unprotect, "Lift one entry of the protection floor")
        ->allow_extra_args(false)
        ->delimiter(',');
    cmd->callback([&exit_status, o, agent] {
        auto adapter = hooks::make_adapter(*agent);
        std::string input;
        try {
            input.assign(std::istreambuf_iterator<char>(std::cin), {});
        } catch (...) {
            input.clear();
        }
        o->airlock_binary = own_binary();
        const hooks::Rendered out = hooks::run_hook(*adapter, *o, input);
        std::cout << out.out << std::flush;
        std::cerr << out.err << std::flush;
        exit_status = out.exit_code;
    });
}

}  // namespace airlock::cli
