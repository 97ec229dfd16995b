// airlock exec | write | read | call: one tool call through the whole pipeline.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common_options.hpp"
#include "exec/session.hpp"
#include "exec/tool_schema.hpp"
#include "exec/tool_schema_input.hpp"

namespace airlock::cli {

namespace {

namespace fs = std::filesystem;

// Prints the result the way the caller asked for and returns the exit status. `transparent`:
// nothing of airlock's own but the reason of a block (an agent's wrapped command).
int report(const exec::CallResult& result, bool json, bool print_stdout, bool transparent = false) {
    if (json) {
        std::cout << exec::to_json(result).dump(-1, ' ', false,
                                                nlohmann::json::error_handler_t::replace)
                  << std::endl;
    } else if (print_stdout) {
        std::cout << result.stdout_bytes << std::flush;
    }
    if (const std::string line = exec::block_message(result); !line.empty()) {
        std::cerr << line << "\n";
        if (!result.wal.empty() && !transparent)
            std::cerr << "airlock: run log: " << result.wal.string() << "\n";
    }
    if (result.stdout_truncated || result.stderr_truncated)
        std::cerr << "airlock: output truncated at the policy's limit\n";
    return result.exit_code;
}

// Standard input, up to `limit` bytes; nullopt when there is more (the rest is not read, so
// an endless or huge input costs no more than the limit).
std::optional<std::string> read_stdin(std::size_t limit) {
    std::string out;
    std::string chunk(1 << 16, '\0');
    while (std::cin.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) ||
           std::cin.gcount() > 0) {
        out.append(chunk.data(), static_cast<std::size_t>(std::cin.gcount()));
        if (out.size() > limit) return std::nullopt;
    }
    return out;
}

std::string too_large(const char* what, std::size_t limit) {
    return std::string(what) + " on standard input: more than " + std::to_string(limit >> 20) +
           " MiB";
}

exec::SessionOptions single_call_options(const CommonOptions& o, bool passthrough, bool dry_run) {
    exec::SessionOptions s = session_options(o, passthrough, dry_run);
    s.single_call = true;
    return s;
}

// The result is reported only once the run's records are written and the run has made its one
// sync (docs/WAL.md, Durability): before its command ran, or now, with the result.
void finish_run(exec::Session& session, exec::CallResult& result) {
    if (auto synced = session.finish(); !synced) {
        result.status = exec::Status::error;
        result.exit_code = exec::kExitError;
        result.stage = "wal";
        result.message = synced.error().describe();
    }
}

// A call built from the command line: CLI arguments can carry what JSON cannot (invalid
// UTF-8) and stdin what no limit bounds, so the same input checks as for JSON calls apply.
int run_call(const CommonOptions& o, ToolCall call, bool passthrough, bool dry_run,
             bool print_stdout, std::optional<Error> input_error = std::nullopt,
             const exec::SessionOptions* prepared = nullptr, bool transparent = false) {
    auto session =
        exec::Session::open(prepared ? *prepared : single_call_options(o, passthrough, dry_run));
    if (!input_error)
        if (auto input = exec::check_call_input(call); !input) input_error = input.error();
    exec::CallResult result = input_error
                                  ? session->reject(std::string(tool_name(call.tool)), *input_error)
                                  : session->handle(std::move(call));
    finish_run(*session, result);
    return report(result, o.json, print_stdout, transparent);
}

}  // namespace

void add_exec_command(CLI::App& app, int& exit_status) {
    auto o = std::make_shared<CommonOptions>();
    auto argv = std::make_shared<std::vector<std::string>>();
    auto shell = std::make_shared<std::string>();
    auto dry_run = std::make_shared<bool>(false);
    auto cwd = std::make_shared<std::string>();
    auto run = std::make_shared<std::string>();
    auto grant = std::make_shared<std::string>();
    auto transparent = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand(
        "exec", "Run a command (shell_exec): airlock exec [options] -- ARGV... | -c 'STRING'");
    add_common_options(cmd, *o, true);
    cmd->add_option("--run", *run,
                    "Record the call in the shared run RUN (an agent session's run, joined or "
                    "started; see airlock hook)");
    cmd->add_option("--grant", *grant,
                    "Redeem the grant KEY that airlock hook issued in --run RUN for exactly this "
                    "command, instead of asking again (once)");
    cmd->add_flag("--transparent", *transparent,
                  "Print only the command's own output and exit with its status: no run-log line "
                  "(a block still says why on stderr)");
    cmd->add_option("-c", *shell, "Shell command line, run by /bin/sh -c");
    cmd->add_option("--cwd", *cwd, "Working directory relative to the workspace");
    cmd->add_flag("--dry-run", *dry_run,
                  "Print the risk, the decision, the sandbox profile and the exact command "
                  "line; run nothing");
    cmd->add_option("argv", *argv, "Program and arguments (after --)");
    cmd->callback([&exit_status, o, argv, shell, dry_run, cwd, cmd, run, grant, transparent] {
        if (!grant->empty() && run->empty()) {
            std::cerr << "airlock exec: --grant needs --run RUN\n";
            exit_status = exec::kExitError;
            return;
        }
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
        exec::SessionOptions options = single_call_options(*o, passthrough, *dry_run);
        options.run_id = *run;
        options.grant = *grant;
        if (!run->empty()) options.front_end = "exec";
        exit_status = run_call(*o, std::move(call), passthrough, *dry_run, *dry_run, std::nullopt,
                               &options, *transparent);
    });
}

void add_write_command(CLI::App& app, int& exit_status) {
    auto o = std::make_shared<CommonOptions>();
    auto path = std::make_shared<std::string>();
    CLI::App* cmd =
        app.add_subcommand("write", "Write stdin's bytes to PATH in the workspace (file_write)");
    add_common_options(cmd, *o, false);
    cmd->add_option("path", *path, "Path relative to the workspace")->required();
    cmd->callback([&exit_status, o, path] {
        ToolCall call;
        call.tool = Tool::file_write;
        call.path = *path;
        std::optional<Error> input_error;
        if (auto content = read_stdin(exec::kMaxContentBytes))
            call.content = std::move(*content);
        else
            input_error = make_error(
                "input", "file_write: " + too_large("the content", exec::kMaxContentBytes));
        exit_status = run_call(*o, std::move(call), false, false, false, input_error);
    });
}

void add_read_command(CLI::App& app, int& exit_status) {
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
void add_call_command(CLI::App& app, int& exit_status) {
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
        const auto text =
            *args == "-" ? read_stdin(exec::kMaxArgumentsJsonBytes) : std::optional(*args);
        auto session = exec::Session::open(single_call_options(*o, !o->json, false));
        exec::CallResult result;
        const auto parsed =
            text ? exec::parse_json_text(*text, "arguments")
                 : Result<nlohmann::json>(make_error(
                       "input", too_large("the arguments", exec::kMaxArgumentsJsonBytes)));
        if (!parsed) {
            result = session->reject(*tool, parsed.error());
        } else if (auto call = exec::decode_tool_call(*tool, *parsed); !call) {
            result = session->reject(*tool, call.error());
        } else {
            result = session->handle(std::move(call).value());
        }
        finish_run(*session, result);
        exit_status = report(result, o->json, !o->json && *tool == "file_read");
    });
}

}  // namespace airlock::cli
