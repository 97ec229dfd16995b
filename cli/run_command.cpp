// airlock run PLAN.json: several tool calls validated as a whole, then run in order.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common_options.hpp"
#include "exec/plan_runner.hpp"
#include "exec/session.hpp"
#include "wal/runs.hpp"

namespace airlock::cli {

namespace {

namespace fs = std::filesystem;

struct RunOptions : CommonOptions {
    std::string plan;
    std::string resume;
    bool approve_upfront = false;
};

// "step 2/5 build ... ok (1.3 s)": one line per step, on a terminal only.
void print_progress(const exec::PlanProgress& p) {
    if (!p.finished) {
        std::fprintf(stderr, "airlock: step %zu/%zu %s ...", p.index, p.total, p.step.c_str());
    } else {
        std::fprintf(stderr, " %s (%.1f s elapsed)\n", p.status.c_str(), p.elapsed);
    }
    std::fflush(stderr);
}

int run(const RunOptions& o) {
    std::string text;
    {
        std::ifstream in(o.plan, std::ios::binary);
        if (!in) {
            std::cerr << "airlock run: cannot read the plan \"" << o.plan << "\"\n";
            return exec::kExitError;
        }
        std::stringstream ss;
        ss << in.rdbuf();
        text = ss.str();
    }
    const exec::SessionOptions s = session_options(o, false, false);
    // RUN is resolved before this run exists: "last" means the newest run before this one.
    std::string resume;
    if (!o.resume.empty()) {
        auto location = wal::locate_log(s.workspace, o.resume);
        if (!location) {
            std::cerr << "airlock run: --resume: " << location.error().describe() << "\n";
            return exec::kExitError;
        }
        resume = location->run_id ? *location->run_id : location->file.string();
    }
    auto session = exec::Session::open(s);

    exec::PlanRunOptions options;
    if (!resume.empty()) options.resume_run = resume;
    options.approve_upfront = o.approve_upfront;
    if (::isatty(STDERR_FILENO)) options.progress = print_progress;
    const exec::PlanReport report = exec::run_plan(*session, text, o.plan, options);
    (void)session->finish();  // each call synced its own records already

    if (o.json)
        std::cout << exec::to_json(report).dump(-1, ' ', false,
                                                nlohmann::json::error_handler_t::replace)
                  << std::endl;
    if (report.status != "ok") {
        std::cerr << "airlock: plan " << report.status;
        if (!report.message.empty()) std::cerr << ": " << report.message;
        std::cerr << "\n";
    }
    if (!report.wal.empty()) std::cerr << "airlock: run log: " << report.wal.string() << "\n";
    return report.exit_code;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_status) {
    auto o = std::make_shared<RunOptions>();
    CLI::App* cmd = app.add_subcommand(
        "run",
        "Run a plan: validate every step, decide every step by policy, then run them in "
        "order (see docs/PLANS.md)");
    cmd->add_option("plan", o->plan, "The plan file (JSON)")->required();
    add_common_options(cmd, *o, true);
    cmd->add_option("--resume", o->resume,
                    "RUN whose succeeded steps are skipped (recorded as skipped_replayed)");
    cmd->add_flag("--approve-upfront", o->approve_upfront,
                  "Put every ask of the plan to the approval provider before the first step runs");
    cmd->callback([&exit_status, o] { exit_status = run(*o); });
}

}  // namespace airlock::cli
