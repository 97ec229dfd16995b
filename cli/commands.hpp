// Each file in cli/ registers one family of subcommands; main.cpp only wires them together.
// A subcommand's callback stores its exit status in `exit_status`.
#pragma once

#include <optional>

#include <CLI/CLI.hpp>

#include "platform/result.hpp"

namespace airlock::cli {

// Prints "airlock: <error>" on stderr; returns 125, a run or file that cannot be read
// (wal_commands.cpp).
int fail_unreadable(const Error& error);

// The tool calls (tool_commands.cpp), one subcommand each: exec, write, read, call.
void add_exec_command(CLI::App& app, int& exit_status);
void add_write_command(CLI::App& app, int& exit_status);
void add_read_command(CLI::App& app, int& exit_status);
void add_call_command(CLI::App& app, int& exit_status);
void add_guard_commands(CLI::App& app, int& exit_status);   // guard score, guard rules
void add_policy_commands(CLI::App& app, int& exit_status);  // policy check, lint, test, diff
void add_wal_commands(CLI::App& app, int& exit_status);     // wal verify, list, show, export, tail
void add_serve_commands(CLI::App& app, int& exit_status);   // serve (MCP server on stdio)

void add_run_command(CLI::App& app, int& exit_status);   // run PLAN.json [--resume RUN]
void add_undo_command(CLI::App& app, int& exit_status);  // undo RUN [--call ID]

void add_doctor_command(CLI::App& app, int& exit_status);  // doctor (sandbox adapters on this host)

void add_ui_command(CLI::App& app, int& exit_status);  // ui (the run viewer)
// wal report (ui_commands.cpp): after add_wal_commands, whose `wal` it extends.
void add_wal_report_command(CLI::App& app, int& exit_status);

// completion bash: a completion script generated from `app` itself (subcommands, options).
void add_completion_command(CLI::App& app, int& exit_status);
void add_hook_command(CLI::App& app, int& exit_status);  // hook AGENT (an agent's pre-tool hook)
// Before any command is built: `airlock hook AGENT ...` handed to a running hook server
// (cli/hooks/hook_server.hpp). The exit status when it was answered; nullopt to go on as usual.
std::optional<int> answer_hook_from_server(int argc, char** argv);
void add_init_command(CLI::App& app, int& exit_status);  // init AGENT (installs the hook)

}  // namespace airlock::cli
