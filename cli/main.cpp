// airlock: a sandboxed tool-execution supervisor for AI agents.
#include <cstdio>
#include <iostream>

#include "cli/build_info.hpp"
#include "cli/commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{
        "airlock: run an AI agent's tool calls through guard, policy, approval and an OS sandbox",
        "airlock"};
    app.set_version_flag("--version", airlock::cli::version_line());
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
    // Last: it describes the whole command tree above.
    airlock::cli::add_completion_command(app, exit_status);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // Usage errors are airlock's own configuration errors (125), like timeout(1).
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 125;
    }
    std::fflush(stdout);
    return exit_status;
}
