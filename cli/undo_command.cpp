// airlock undo RUN [--call ID]: puts back what a run's file writes replaced, newest first.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "exec/blob_store.hpp"
#include "exec/session.hpp"
#include "exec/undo.hpp"
#include "wal/runs.hpp"
#include "wal/verify.hpp"

namespace airlock::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct UndoOptions {
    std::string run;
    std::string call;
    std::string workspace;
    bool json = false;
};

constexpr int kExitUndoStopped = 1;

int undo(const UndoOptions& o) {
    const fs::path workspace = o.workspace.empty() ? fs::current_path() : fs::path(o.workspace);
    auto location = wal::locate_log(workspace, o.run);
    if (!location) {
        std::cerr << "airlock undo: " << location.error().describe() << "\n";
        return exec::kExitError;
    }
    auto log = wal::read_log(location->file, location->run_id);
    if (!log) {
        std::cerr << "airlock undo: " << log.error().describe() << "\n";
        return exec::kExitError;
    }
    // A log that was altered is not evidence to act on.
    if (log->verification.verdict == wal::Verdict::tampered) {
        std::cerr << "airlock undo: refusing: " << wal::describe(log->verification) << "\n";
        return exec::kExitError;
    }
    auto writes = exec::undoable_writes(log->records, location->file);
    const std::string target_run = log->verification.run_id;
    if (!o.call.empty()) {
        std::erase_if(writes, [&](const exec::UndoableWrite& w) { return w.call_id != o.call; });
        if (writes.empty()) {
            std::cerr << "airlock undo: call \"" << o.call << "\" of run " << target_run
                      << " wrote no file that can be undone\n";
            return exec::kExitError;
        }
    }

    // The undo is a run of its own, with its own log: the undone run's log is never changed.
    exec::SessionOptions s;
    s.workspace = workspace;
    s.policy = policy::standard_load_options(workspace, {}, true);
    s.approve = "deny";
    auto session = exec::Session::open(s);
    if (const auto& e = session->startup_error()) {
        std::cerr << "airlock undo: " << e->describe() << "\n";
        return exec::kExitError;
    }
    session->record_event(
        "undo_started", "",
        {{"target_run", target_run}, {"call", o.call}, {"writes", writes.size()}});
    json done = json::array();
    int status = 0;
    std::string failure;
    for (auto it = writes.rbegin(); it != writes.rend(); ++it) {
        auto undone =
            exec::undo_write(session->workspace(), *it, exec::blobs_dir(session->wal_path()));
        if (!undone) {
            failure = undone.error().describe();
            session->record_event(
                "undo_failed", "",
                {{"target", {{"run_id", it->run_id}, {"seq", it->seq}, {"call_id", it->call_id}}},
                 {"path", it->path},
                 {"message", failure}});
            status = kExitUndoStopped;
            break;
        }
        (*undone)["reason"] = "undo";
        session->record_event("undo", "", *undone);
        if (!o.json)
            std::cerr << "airlock: " << (*undone)["action"].get<std::string>() << " "
                      << (*undone)["path"].get<std::string>() << " (run " << it->run_id << " seq "
                      << it->seq << (it->call_id.empty() ? "" : ", call " + it->call_id) << ")\n";
        done.push_back(std::move(*undone));
    }
    (void)session->finish();  // each call synced its own records already
    if (o.json) {
        json out = {{"status", status == 0 ? "ok" : "stopped"},
                    {"target_run", target_run},
                    {"undone", done},
                    {"run_id", session->run_id()},
                    {"wal", session->wal_path().string()}};
        if (!failure.empty()) out["message"] = failure;
        std::cout << out.dump() << std::endl;
    }
    if (!failure.empty()) std::cerr << "airlock undo: stopped: " << failure << "\n";
    std::cerr << "airlock: run log: " << session->wal_path().string() << "\n";
    return status;
}

}  // namespace

void add_undo_command(CLI::App& app, int& exit_status) {
    auto o = std::make_shared<UndoOptions>();
    CLI::App* cmd = app.add_subcommand(
        "undo", "Put back what a run's file writes replaced, newest first (see docs/PLANS.md)");
    cmd->add_option("run", o->run, "Run id, \"last\", or a path to a run log")->required();
    cmd->add_option("--call", o->call, "Undo only this call's writes (c1, c2, ...)");
    cmd->add_option("--workspace", o->workspace, "Workspace directory (default: the current one)");
    cmd->add_flag("--json", o->json, "Print one JSON summary object on stdout");
    cmd->callback([&exit_status, o] { exit_status = undo(*o); });
}

}  // namespace airlock::cli
