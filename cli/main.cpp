// airlock: a sandboxed tool-execution supervisor for AI agents.
#include <cstdio>
#include <iostream>
#include <string_view>

#include "cli/commands.hpp"
#include "exec/version.hpp"

int main(int argc, char** argv) {
    CLI::App app{
        "airlock: run an AI agent's tool calls through guard, policy, approval and an OS sandbox",
        "airlock"};
    app.set_version_flag("--version", std::string(airlock::kVersion));
    app.require_subcommand(1);
    int exit_status = 0;
    airlock::cli::add_tool_commands(app, exit_status);
    airlock::cli::add_guard_commands(app, exit_status);
    airlock::cli::add_policy_commands(app, exit_status);
    airlock::cli::add_wal_commands(app, exit_status);
    airlock::cli::add_serve_commands(app, exit_status);
    airlock::cli::add_doctor_command(app, exit_status);
    airlock::cli::add_run_command(app, exit_status);
    airlock::cli::add_undo_command(app, exit_status);
    airlock::cli::add_hook_command(app, exit_status);
    airlock::cli::add_init_command(app, exit_status);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // Usage errors are airlock's own configuration errors (125), like timeout(1); for an
        // agent's hook, 2: the one status every agent reads as "blocked".
        const int rc = app.exit(e);
        const bool hook = argc > 1 && std::string_view(argv[1]) == "hook";
        return rc == 0 ? 0 : hook ? 2 : 125;
    } catch (...) {
        std::fputs("airlock: internal error\n", stderr);
        return argc > 1 && std::string_view(argv[1]) == "hook" ? 2 : 125;
    }
    std::fflush(stdout);
    return exit_status;
}
