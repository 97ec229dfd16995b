// airlock hook AGENT: an agent's pre-tool hook (cli/hooks/). Reads the event on stdin, answers in
// the agent's JSON on stdout, and exits as the agent's contract says: 0 with the answer, 2 to
// block when anything went wrong. Nothing that fails here may turn into an allow.
//
// A call first goes to the hook server of its command line, when one runs (answered there, in
// the same way); else it decides itself and then leaves a server for the next calls.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "cli/hooks/hook_client.hpp"
#include "cli/hooks/hook_runner.hpp"
#include "cli/hooks/hook_server.hpp"

namespace airlock::cli {

namespace {

namespace fs = std::filesystem;

fs::path own_binary() {
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec || self.empty()) return "airlock";
    return self;
}

// What answer_hook_from_server leaves for the command when no server answered: the event it
// already read, and the address a new server would take.
struct Unserved {
    std::optional<std::string> event;
    std::optional<hooks::HookServerAddress> address;
};
Unserved& unserved() {
    static Unserved state;
    return state;
}

int print(const hooks::Rendered& answer) {
    std::fwrite(answer.out.data(), 1, answer.out.size(), stdout);
    std::fflush(stdout);
    std::fwrite(answer.err.data(), 1, answer.err.size(), stderr);
    return answer.exit_code;
}

}  // namespace

std::optional<int> answer_hook_from_server(int argc, char** argv) {
    // Normally done before static initialisation (cli/main.cpp); then this returns at once.
    hooks::answer_hook_early(argc, argv, environ);
    const auto& early = hooks::early_hook_call();
    if (!early.agent_call) return std::nullopt;
    if (early.failed) return print(hooks::make_adapter(argv[2])->fail_closed(early.reason));
    // No server answered: this call decides itself, then leaves one for the next calls.
    Unserved& state = unserved();
    if (early.event_read) state.event.emplace(early.event);
    state.address = hooks::hook_server_address(argc, argv);
    return std::nullopt;
}

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
        Unserved& state = unserved();
        std::string input;
        if (state.event) {
            input = std::move(*state.event);
        } else {
            try {
                input.assign(std::istreambuf_iterator<char>(std::cin), {});
            } catch (...) {
                input.clear();
            }
        }
        o->airlock_binary = own_binary();
        const hooks::Rendered out = hooks::run_hook(*adapter, *o, input);
        std::cout << out.out << std::flush;
        std::cerr << out.err << std::flush;
        exit_status = out.exit_code;
        // After the answer is out: the agent is not kept waiting for the server's start.
        if (state.address) hooks::start_hook_server(*state.address, *agent, *o);
    });
}

}  // namespace airlock::cli
