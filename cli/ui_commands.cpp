// airlock ui (the run viewer, a local web server) and airlock wal report (one HTML file).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "ui/report.hpp"
#include "ui/run_index.hpp"
#include "ui/server.hpp"
#include "wal/runs.hpp"
#include "wal/verify.hpp"

namespace airlock::cli {

namespace {

namespace fs = std::filesystem;

}  // namespace

void add_ui_command(CLI::App& app, int& exit_status) {
    struct Options {
        std::vector<std::string> workspaces;
        unsigned short port = 0;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand(
        "ui", "Serve the run viewer on 127.0.0.1 and print its URL (it carries the access token)");
    cmd->add_option("--workspace", o->workspaces,
                    "Workspace whose runs to show (repeatable; default: the current directory)");
    cmd->add_option("--port", o->port, "Port on 127.0.0.1 (default: a free one)");
    cmd->callback([o, &exit_status] {
        ui::ServerOptions options;
        options.port = o->port;
        if (o->workspaces.empty()) o->workspaces.push_back(fs::current_path().string());
        for (const auto& w : o->workspaces) {
            std::error_code ec;
            if (!fs::is_directory(w, ec)) {
                exit_status = fail_unreadable(make_error("cli", "ui: no workspace directory " + w));
                return;
            }
            options.workspaces.push_back(fs::absolute(w).lexically_normal());
        }
        auto served = ui::serve(options, [](const std::string& url) {
            std::cout << url << std::endl;  // the only line on stdout: scripts read it
        });
        if (!served) exit_status = fail_unreadable(served.error());
    });
}

void add_wal_report_command(CLI::App& app, int& exit_status) {
    CLI::App* wal = app.get_subcommand("wal");
    struct Options {
        std::string run, workspace, output;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = wal->add_subcommand(
        "report",
        "Write one self-contained HTML file with a run's view (no network, no external "
        "references)");
    cmd->add_option("run", o->run, "Run id, \"last\", or a path to an events.jsonl file")
        ->required();
    cmd->add_option("-o,--output", o->output, "The HTML file to write")->required();
    cmd->add_option("--workspace", o->workspace, "Workspace directory (default: the current one)");
    cmd->callback([o, &exit_status] {
        const fs::path workspace =
            o->workspace.empty() ? fs::current_path() : fs::path(o->workspace);
        auto where = wal::locate_log(workspace, o->run);
        if (!where) {
            exit_status = fail_unreadable(where.error());
            return;
        }
        auto log = wal::read_log(where->file, where->run_id);
        if (!log) {
            exit_status = fail_unreadable(log.error());
            return;
        }
        const std::string id =
            !log->verification.run_id.empty() ? log->verification.run_id : o->run;
        auto html = ui::render_report(ui::summarize_run(0, id, *log), *log);
        if (!html) {
            exit_status = fail_unreadable(html.error());
            return;
        }
        // Written beside the target and renamed: a reader never sees half a report.
        const fs::path tmp = o->output + ".tmp";
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            out << *html;
            out.close();
            if (!out) {
                std::error_code ec;
                fs::remove(tmp, ec);
                exit_status = fail_unreadable(make_error("cli", "cannot write " + tmp.string()));
                return;
            }
        }
        std::error_code ec;
        fs::rename(tmp, o->output, ec);
        if (ec) {
            exit_status = fail_unreadable(make_error(
                "cli", "cannot rename " + tmp.string() + " to " + o->output + ": " + ec.message()));
            return;
        }
        std::cerr << "airlock: wrote " << o->output << " (" << wal::describe(log->verification)
                  << ")\n";
        // Like show: the verified part is reported, and a tampered log is still an error.
        exit_status = log->verification.verdict == wal::Verdict::tampered ? 3 : 0;
    });
}

}  // namespace airlock::cli
