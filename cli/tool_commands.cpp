// airlock exec | write | read | call: one tool call through the whole pipeline.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common_options.hpp"
#include "exec/session.hpp"
#include "exec/tool_schema.hpp"

namespace airlock::cli {

namespace {

namespace fs = std::filesystem;

// Prints the result the way the caller asked for and returns the exit status.
int report(const exec::CallResult& result, bool json, bool print_stdout) {
    if (json) {
        std::cout << exec::to_json(result).dump(-1, ' ', false,
                                                nlohmann::json::error_handler_t::replace)
                  << std::endl;
    } else if (print_stdout) {
        std::cout << result.stdout_bytes << std::flush;
    }
    if (const std::string line = exec::block_message(result); !line.empty()) {
        std::cerr << line << "\n";
        if (!result.wal.empty()) std::cerr << "airlock: run log: " << result.wal.string() << "\n";
    }
    if (result.stdout_truncated || result.stderr_truncated)
        std::cerr << "airlock: output truncated at the policy's limit\n";
    return result.exit_code;
}

int run_call(const CommonOptions& o, ToolCall call, bool passthrough, bool dry_run,
             bool print_stdout) {
    auto session = exec::Session::open(session_options(o, passthrough, dry_run));
    exec::CallResult result = session->handle(std::move(call));
    session->finish();
    return report(result, o.json, print_stdout);
}

std::string read_stdin() {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

}  // namespace

void add_tool_commands(CLI::App& app, int& exit_status) {
    // exec
    {
        auto o = std::make_shared<CommonOptions>();
        auto argv = std::make_shared<std::vector<std::string>>();
        auto shell = std::make_shared<std::string>();
        auto dry_run = std::make_shared<bool>(false);
        auto cwd = std::make_shared<std::string>();
        CLI::App* cmd = app.add_subcommand(
            "exec", "Run a command (shell_exec): airlock exec [options] -- ARGV... | -c 'STRING'");
        add_common_options(cmd, *o, true);
        cmd->add_option("-c", *shell, "Shell command line, run by /bin/sh -c");
        cmd->add_option("--cwd", *cwd, "Working directory relative to the workspace");
        cmd->add_flag("--dry-run", *dry_run,
                      "Print the risk, the decision, the sandbox profile and the exact command "
                      "line; run nothing");
        cmd->add_option("argv", *argv, "Program and arguments (after --)");
        cmd->callback([&exit_status, o, argv, shell, dry_run, cwd, cmd] {
            ToolCall call;
            call.tool = Tool::shell_exec;
            call.cwd = *cwd;
            if (cmd->count("-c") > 0) {
                if (!argv->empty()) {
                    std::cerr << "airlock exec: give either -c STRING or -- ARGV..., not both\n";
                    exit_status = exec::kExitError;
                    return;
                }
                call.shell = *shell;
            } else {
                call.argv = *argv;
            }
            // With --json or --dry-run the output is part of the JSON; otherwise it streams.
            const bool passthrough = !o->json && !*dry_run;
            exit_status = run_call(*o, std::move(call), passthrough, *dry_run, *dry_run);
        });
    }
    // write
    {
        auto o = std::make_shared<CommonOptions>();
        auto path = std::make_shared<std::string>();
        CLI::App* cmd = app.add_subcommand(
            "write", "Write stdin's bytes to PATH in the workspace (file_write)");
        add_common_options(cmd, *o, false);
        cmd->add_option("path", *path, "Path relative to the workspace")->required();
        cmd->callback([&exit_status, o, path] {
            ToolCall call;
            call.tool = Tool::file_write;
            call.path = *path;
            call.content = read_stdin();
            exit_status = run_call(*o, std::move(call), false, false, false);
        });
    }
    // read
    {
        auto o = std::make_shared<CommonOptions>();
        auto path = std::make_shared<std::string>();
        auto max_bytes = std::make_shared<std::optional<std::size_t>>();
        CLI::App* cmd = app.add_subcommand("read", "Print a file of the workspace (file_read)");
        add_common_options(cmd, *o, false);
        cmd->add_option("path", *path, "Path relative to the workspace")->required();
        cmd->add_option("--max-bytes", *max_bytes, "Read at most this many bytes");
        cmd->callback([&exit_status, o, path, max_bytes] {
            ToolCall call;
            call.tool = Tool::file_read;
            call.path = *path;
            call.max_bytes = *max_bytes;
            exit_status = run_call(*o, std::move(call), false, false, true);
        });
    }
    // call: a tool call given as JSON, exactly as an agent framework would pass it on.
    {
        auto o = std::make_shared<CommonOptions>();
        auto tool = std::make_shared<std::string>();
        auto args = std::make_shared<std::string>("-");
        CLI::App* cmd = app.add_subcommand("call",
                                           "Run one tool call given as JSON: airlock call TOOL "
                                           "'{\"argv\": [...]}' (or - for stdin)");
        add_common_options(cmd, *o, true);
        cmd->add_option("tool", *tool, "shell_exec, file_write or file_read")->required();
        cmd->add_option("args", *args, "The call's arguments as a JSON object, or - to read stdin");
        cmd->callback([&exit_status, o, tool, args] {
            const std::string text = *args == "-" ? read_stdin() : *args;
            auto session = exec::Session::open(session_options(*o, !o->json, false));
            exec::CallResult result;
            const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
            if (parsed.is_discarded()) {
                result =
                    session->reject(*tool, make_error("input", "arguments are not valid JSON"));
            } else if (auto call = exec::decode_tool_call(*tool, parsed); !call) {
                result = session->reject(*tool, call.error());
            } else {
                result = session->handle(std::move(call).value());
            }
            session->finish();
            exit_status = report(result, o->json, !o->json && *tool == "file_read");
        });
    }
}

}  // namespace airlock::cli
