// airlock wal verify | list | show | export | tail: reading the runs' logs.
#include <signal.h>
#include <sys/signalfd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "platform/unique_fd.hpp"
#include "wal/export.hpp"
#include "wal/follow.hpp"
#include "wal/runs.hpp"
#include "wal/timeline.hpp"
#include "wal/verify.hpp"

namespace airlock::cli {

namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

constexpr int kExitTampered = 3;
constexpr int kExitInterrupted = 130;

std::string dump(const ojson& j) {
    return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

fs::path workspace_of(const std::string& option) {
    return option.empty() ? fs::current_path() : fs::path(option);
}

Result<wal::Log> open_log(const std::string& workspace, const std::string& run) {
    auto where = wal::locate_log(workspace_of(workspace), run);
    if (!where) return where.error();
    return wal::read_log(where->file, where->run_id);
}

// show, export and tail print what verified; a broken chain is an error after it.
int after_reading(const wal::Verification& v) {
    if (v.verdict != wal::Verdict::tampered) return 0;
    std::cerr << "airlock: " << v.path.string() << ": " << wal::describe(v) << "\n";
    return kExitTampered;
}

ojson summary_json(const wal::RunSummary& s) {
    ojson j = {{"run_id", s.run_id},
               {"started", s.started},
               {"calls", s.calls},
               {"status", s.status},
               {"path", s.file.string()}};
    if (!s.error.empty()) j["error"] = s.error;
    return j;
}

void add_verify(CLI::App& wal, int& exit_status) {
    struct Options {
        std::string target, workspace;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = wal.add_subcommand(
        "verify",
        "Check a run's hash chain, seq and structure. Exit 0 intact, 1 incomplete, "
        "2 truncated, 3 tampered, 125 unreadable");
    cmd->add_option("run", o->target, "Run id, \"last\", or a path to an events.jsonl file")
        ->required();
    cmd->add_option("--workspace", o->workspace, "Workspace directory (default: the current one)");
    cmd->add_flag("--json", o->json, "Print the verdict as one JSON object");
    cmd->callback([o, &exit_status] {
        auto log = open_log(o->workspace, o->target);
        if (!log) {
            exit_status = fail_unreadable(log.error());
            return;
        }
        const wal::Verification& v = log->verification;
        if (o->json)
            std::cout << dump(wal::to_json(v)) << "\n";
        else
            std::cout << v.path.string() << ": " << wal::describe(v) << "\n";
        exit_status = wal::verdict_exit_status(v.verdict);
    });
}

void add_list(CLI::App& wal, int& exit_status) {
    struct Options {
        std::string workspace;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = wal.add_subcommand("list", "The workspace's runs: start time, calls, status");
    cmd->add_option("--workspace", o->workspace, "Workspace directory (default: the current one)");
    cmd->add_flag("--json", o->json, "Print one JSON array");
    cmd->callback([o, &exit_status] {
        auto runs = wal::list_runs(workspace_of(o->workspace));
        if (!runs) {
            exit_status = fail_unreadable(runs.error());
            return;
        }
        if (o->json) {
            ojson all = ojson::array();
            for (const auto& s : *runs)
                all.push_back(summary_json(s));
            std::cout << dump(all) << "\n";
            return;
        }
        if (runs->empty()) {
            std::cerr << "airlock: no runs in " << workspace_of(o->workspace).string() << "\n";
            return;
        }
        std::printf("%-24s  %-27s  %5s  %s\n", "RUN", "STARTED", "CALLS", "STATUS");
        for (const auto& s : *runs)
            std::printf("%-24s  %-27s  %5llu  %s%s\n", s.run_id.c_str(),
                        s.started.empty() ? "-" : s.started.c_str(),
                        static_cast<unsigned long long>(s.calls), s.status.c_str(),
                        s.error.empty() ? "" : (" (" + s.error + ")").c_str());
    });
}

void add_show(CLI::App& wal, int& exit_status) {
    struct Options {
        std::string run, workspace;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = wal.add_subcommand("show", "A run's timeline: one line per event");
    cmd->add_option("run", o->run, "Run id, \"last\", or a path to an events.jsonl file")
        ->required();
    cmd->add_option("--workspace", o->workspace, "Workspace directory (default: the current one)");
    cmd->add_flag("--json", o->json, "Print the run, its verdict and its events as one object");
    cmd->callback([o, &exit_status] {
        auto log = open_log(o->workspace, o->run);
        if (!log) {
            exit_status = fail_unreadable(log.error());
            return;
        }
        const wal::RunSummary summary = wal::summarize(
            log->verification.run_id.empty() ? o->run : log->verification.run_id, *log);
        if (o->json) {
            ojson events = ojson::array();
            for (const auto& r : log->records)
                events.push_back({{"seq", r.seq},
                                  {"ts", r.ts},
                                  {"call_id", r.call_id},
                                  {"type", r.type},
                                  {"data", r.data}});
            std::cout << dump({{"run", summary_json(summary)},
                               {"verification", wal::to_json(log->verification)},
                               {"events", events}})
                      << "\n";
        } else {
            const bool colour = wal::stdout_wants_colour();
            wal::Timeline timeline;
            if (!log->records.empty())
                std::cout << wal::render_header(log->records.front(), colour) << "\n";
            for (const auto& r : log->records)
                std::cout << wal::render(timeline.add(r), colour) << "\n";
            std::cout << "-- " << wal::describe(log->verification) << "\n";
        }
        exit_status = after_reading(log->verification);
    });
}

void add_export(CLI::App& wal, int& exit_status) {
    struct Options {
        std::vector<std::string> runs;
        std::string workspace, since;
        bool all = false;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = wal.add_subcommand(
        "export", "Runs' events as JSON lines for log shippers, each with its run's context");
    cmd->add_option("runs", o->runs, "Run ids, \"last\", or paths to events.jsonl files");
    cmd->add_flag("--all", o->all, "Every run in the workspace, oldest first");
    cmd->add_option("--since", o->since,
                    "Only events at or after this UTC time: 2026-11-21, 2026-11-21T10:35:30Z");
    cmd->add_option("--workspace", o->workspace, "Workspace directory (default: the current one)");
    cmd->callback([o, &exit_status] {
        if (o->all == !o->runs.empty()) {
            exit_status =
                fail_unreadable(make_error("cli", "wal export: name runs, or --all, not both"));
            return;
        }
        std::optional<std::int64_t> since;
        if (!o->since.empty()) {
            auto parsed = wal::parse_since(o->since);
            if (!parsed) {
                exit_status = fail_unreadable(parsed.error());
                return;
            }
            since = *parsed;
        }
        std::vector<std::string> runs = o->runs;
        if (o->all) {
            auto listed = wal::list_runs(workspace_of(o->workspace));
            if (!listed) {
                exit_status = fail_unreadable(listed.error());
                return;
            }
            for (const auto& s : *listed)
                runs.push_back(s.run_id);
        }
        for (const auto& run : runs) {
            auto log = open_log(o->workspace, run);
            if (!log) {
                exit_status = fail_unreadable(log.error());
                continue;
            }
            const ojson context = wal::run_context(log->records);
            for (const auto& r : log->records)
                if (!since || *wal::parse_record_time(r.ts) >= *since)
                    std::cout << dump(wal::export_record(r, context)) << "\n";
            exit_status = std::max(exit_status, after_reading(log->verification));
        }
    });
}

// SIGINT and SIGTERM become readable on a descriptor, so following can end cleanly.
Result<UniqueFd> stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
        return sys_error("cli", "cannot block SIGINT", "sigprocmask");
    const int fd = ::signalfd(-1, &set, SFD_CLOEXEC);
    if (fd < 0) return sys_error("cli", "cannot watch SIGINT", "signalfd");
    return UniqueFd(fd);
}

void add_tail(CLI::App& wal, int& exit_status) {
    struct Options {
        std::string run, workspace;
        bool follow = false, json = false;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = wal.add_subcommand("tail", "A run's events; with -f, follow it until it ends");
    cmd->add_option("run", o->run, "Run id, \"last\", or a path to an events.jsonl file")
        ->required();
    cmd->add_flag("-f,--follow", o->follow,
                  "Wait for new events until the run's final record (or SIGINT)");
    cmd->add_flag("--json", o->json, "Print each event as an export JSON line");
    cmd->add_option("--workspace", o->workspace, "Workspace directory (default: the current one)");
    cmd->callback([o, &exit_status] {
        auto where = wal::locate_log(workspace_of(o->workspace), o->run);
        if (!where) {
            exit_status = fail_unreadable(where.error());
            return;
        }
        auto reader = wal::LogReader::open(where->file, where->run_id);
        if (!reader) {
            exit_status = fail_unreadable(reader.error());
            return;
        }
        const bool colour = !o->json && wal::stdout_wants_colour();
        wal::Timeline timeline;
        ojson context;
        auto print = [&](const wal::Record& r) {
            if (r.type == "run_started") context = wal::run_context({r});
            if (o->json)
                std::cout << dump(wal::export_record(r, context)) << "\n";
            else
                std::cout << wal::render(timeline.add(r), colour) << "\n";
            std::cout.flush();  // a follower wants each event as it happens
        };
        if (!o->follow) {
            auto records = reader->read_more();
            if (!records) {
                exit_status = fail_unreadable(records.error());
                return;
            }
            for (const auto& r : *records)
                print(r);
            exit_status = after_reading(wal::verify(*reader));
            return;
        }
        auto stop = stop_signals();
        if (!stop) {
            exit_status = fail_unreadable(stop.error());
            return;
        }
        auto end = wal::follow(*reader, print, stop->get());
        if (!end) {
            exit_status = fail_unreadable(end.error());
            return;
        }
        switch (*end) {
            case wal::FollowEnd::finished:
                exit_status = 0;
                break;
            case wal::FollowEnd::stopped:
                exit_status = kExitInterrupted;
                break;
            case wal::FollowEnd::broken:
                exit_status = after_reading(wal::verify(*reader));
                break;
        }
    });
}

}  // namespace

int fail_unreadable(const Error& error) {
    std::cerr << "airlock: " << error.describe() << "\n";
    return wal::kExitUnreadable;
}

void add_wal_commands(CLI::App& app, int& exit_status) {
    auto* wal = app.add_subcommand("wal", "Read, verify and export the runs' logs (WAL)");
    wal->require_subcommand(1);
    add_verify(*wal, exit_status);
    add_list(*wal, exit_status);
    add_show(*wal, exit_status);
    add_export(*wal, exit_status);
    add_tail(*wal, exit_status);
}

}  // namespace airlock::cli
