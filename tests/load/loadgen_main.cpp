// airlock-loadgen: drives `airlock serve` with many tool calls in flight and checks that every
// call is answered once, as expected, recorded in the WAL, and that the server neither leaks
// (descriptors, memory, processes) nor leaves anything running. See docs/RELIABILITY.md.
#include <signal.h>

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "tests/load/call_mix.hpp"
#include "tests/load/child_process.hpp"
#include "tests/load/load_driver.hpp"
#include "tests/load/report.hpp"
#include "tests/load/wal_check.hpp"

namespace fs = std::filesystem;
using namespace airlock::load;

namespace {

// A private directory for the load policy layer, removed on exit: nothing of the load client
// goes into the workspace.
class TempDir {
  public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern =
            std::string(base && *base ? base : "/tmp") + "/airlock-loadgen.XXXXXX";
        if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        if (!path_.empty()) fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "airlock-loadgen: starts `airlock serve`, sends CALLS tool calls with IN_FLIGHT in flight\n"
        "and checks every answer, the WAL, the server's descriptors, memory and processes.\n"
        "Exit status 0 when every check passed, 1 when one failed, 2 on bad usage."};
    std::string airlock, workspace, mix_text = "allowed=70,denied=20,failing=10", server_stderr,
                                    json_out;
    std::size_t calls = 1000, in_flight = 32;
    long warmup = -1;
    std::uint64_t seed = 1;
    long kill_after_ms = 0, grace_ms = 5000, stall_s = 120;
    Limits limits;
    bool as_json = false;
    std::vector<std::string> serve_args;
    app.add_option("--airlock", airlock, "the airlock binary")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--workspace", workspace, "the server's workspace")
        ->required()
        ->check(CLI::ExistingDirectory);
    app.add_option("--calls", calls, "tool calls to send (default 1000)")
        ->check(CLI::PositiveNumber);
    app.add_option("--in-flight", in_flight, "calls in flight at once (default 32)")
        ->check(CLI::PositiveNumber);
    app.add_option("--mix", mix_text,
                   "weights per kind: allowed (sandboxed true), denied (by the load policy), "
                   "failing (sandboxed false, exit 1), written (file_write)");
    app.add_option("--warmup", warmup,
                   "calls answered before the first RSS/fd sample (default: a tenth, at most 500)");
    app.add_option("--seed", seed, "seed of the call order (default 1)");
    app.add_option(
           "--kill-after-ms", kill_after_ms,
           "SIGKILL the server after this many ms, at least 1 (crash test); answered calls must be "
           "in the WAL")
        ->check(CLI::PositiveNumber);
    app.add_option("--grace-ms", grace_ms,
                   "after a SIGKILL, how long orphans may take to die (default 5000)");
    app.add_option("--stall-timeout-s", stall_s,
                   "give up when no answer comes for this long (default 120)");
    app.add_option("--max-rss-growth-kib", limits.max_rss_growth_kib,
                   "fail when the server's RSS grows more than this from warm-up to end");
    app.add_option(
        "--max-fd-growth", limits.max_fd_growth,
        "fail when the server's open descriptors grow more than this from warm-up to end");
    app.add_option("--server-stderr", server_stderr, "write the server's stderr to this file");
    app.add_flag("--json", as_json, "print one JSON object instead of the summary");
    app.add_option("--json-out", json_out, "also write the JSON object to this file");
    app.add_option("serve-args", serve_args, "extra arguments for `airlock serve` (after --)");
    app.positionals_at_end();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }

    auto mix = parse_mix(mix_text);
    if (!mix) {
        std::cerr << "airlock-loadgen: " << mix.error().message << "\n";
        return 2;
    }
    if (auto ready = prepare_supervisor(); !ready) {
        std::cerr << "airlock-loadgen: " << ready.error().describe() << "\n";
        return 1;
    }
    TempDir temp;
    const fs::path policy = temp.path() / "load-policy.json";
    {
        std::ofstream out(policy);
        out << policy_text();
        if (temp.path().empty() || !out) {
            std::cerr << "airlock-loadgen: cannot write the load policy layer\n";
            return 1;
        }
    }

    SpawnOptions spawn_options;
    spawn_options.argv = {fs::absolute(airlock).string(),   "serve",    "--workspace",
                          fs::absolute(workspace).string(), "--policy", policy.string()};
    spawn_options.argv.insert(spawn_options.argv.end(), serve_args.begin(), serve_args.end());
    spawn_options.pipe_stdio = true;
    spawn_options.stderr_path = server_stderr;
    auto server = spawn(spawn_options);
    if (!server) {
        std::cerr << "airlock-loadgen: " << server.error().describe() << "\n";
        return 1;
    }

    DriverOptions options;
    options.in_flight = in_flight;
    options.warmup =
        warmup >= 0 ? static_cast<std::size_t>(warmup) : std::min<std::size_t>(calls / 10, 500);
    if (options.warmup >= calls) options.warmup = 0;
    options.kill_after = std::chrono::milliseconds(kill_after_ms);
    options.stall_timeout = std::chrono::seconds(stall_s);

    Report report;
    report.calls = calls;
    report.drive = drive(*server, plan_calls(*mix, calls, seed), report.sent, options);

    // End of the session: stdin closes, the server finishes its log and exits.
    server->to_stdin.reset();
    const auto exited =
        wait_for(server->pid, std::chrono::steady_clock::now() + std::chrono::seconds(30));
    if (!exited) {
        report.server_hung = true;
        ::kill(server->pid, SIGKILL);
        (void)wait_for(server->pid, std::chrono::steady_clock::time_point::max());
    } else {
        report.server_exit = *exited;
    }
    report.orphans = reap_orphans(std::chrono::milliseconds(grace_ms));

    if (!report.drive.wal_path.empty()) {
        auto wal = check_wal(report.drive.wal_path, report.sent, !report.drive.killed);
        if (wal)
            report.wal = std::move(wal).value();
        else
            report.wal_error = wal.error().describe();
    } else if (report.drive.answered > 0) {
        report.wal_error = "the server never named its run log";
    }
    judge(report, limits);
    if (!json_out.empty()) std::ofstream(json_out) << to_json(report).dump() << "\n";
    if (as_json)
        std::cout << to_json(report).dump() << "\n";
    else
        std::cout << to_text(report);
    return report.failures.empty() ? 0 : 1;
}
