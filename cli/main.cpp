// airlock: a sandboxed tool-execution supervisor for AI agents.
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <string_view>

#include "cli/build_info.hpp"
#include "cli/commands.hpp"
#include "cli/hooks/hook_client.hpp"

// An agent's hook, every tool call: a running hook server answers it, when there is one, before
// static initialisation (cli/hooks/hook_client.hpp). The sanitizers initialise their runtimes
// from .preinit_array as well, in an order not ours to choose: there it runs from main.
#ifndef AIRLOCK_SANITIZED
[[gnu::used, gnu::section(".preinit_array")]] static void (*const answer_hook_early)(
    int, char**, char**) = &airlock::hooks::answer_hook_early;
#endif

int main(int argc, char** argv) {
    // A hook call a server answered has ended before static initialisation; one a server
    // failed is blocked here; any other decides itself in the hook command.
    if (argc > 1 && std::string_view(argv[1]) == "hook")
        if (const auto served = airlock::cli::answer_hook_from_server(argc, argv)) {
            // Nothing else was set up: the static destructors have nothing to release.
            std::fflush(nullptr);
            std::_Exit(*served);
        }
    CLI::App app{
        "airlock: run an AI agent's tool calls through guard, policy, approval and an OS sandbox",
        "airlock"};
    app.set_version_flag("--version", airlock::cli::version_line());
    app.require_subcommand(1);
    int exit_status = 0;
    // Agents start airlock for every tool call: building every family's options costs about a
    // tenth of a one-shot exec. When the first argument names a subcommand, only its family is
    // built (its help and errors are the same); anything else (--help, --version, a typo, a
    // subcommand missing from this table) builds them all.
    using Add = void (*)(CLI::App&, int&);
    struct Family {
        std::string_view name;
        std::initializer_list<Add> adds;
    };
    using namespace airlock::cli;
    const Family families[] = {
        {"exec", {add_exec_command}},
        {"write", {add_write_command}},
        {"read", {add_read_command}},
        {"call", {add_call_command}},
        {"guard", {add_guard_commands}},
        {"policy", {add_policy_commands}},
        {"wal", {add_wal_commands, add_wal_report_command}},
        {"ui", {add_ui_command}},
        {"serve", {add_serve_commands}},
        {"doctor", {add_doctor_command}},
        {"run", {add_run_command}},
        {"undo", {add_undo_command}},
        {"hook", {add_hook_command}},
        {"init", {add_init_command}},
    };
    const Family* named = nullptr;
    if (argc > 1)
        for (const auto& family : families)
            if (family.name == argv[1]) named = &family;
    for (const auto& family : families)
        if (!named || named == &family)
            for (const Add add : family.adds)
                add(app, exit_status);
    // Last, and only with the whole tree: it describes every command above.
    if (!named) add_completion_command(app, exit_status);
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
