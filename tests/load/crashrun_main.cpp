// airlock-crashrun: runs a command (an `airlock run`), SIGKILLs it after a given time unless it
// ended before, then catches every process it left behind (it is their subreaper) and reports
// them. The crash test uses it for plans; airlock-loadgen --kill-after-ms does the same for
// server sessions.
#include <signal.h>

#include <CLI/CLI.hpp>

#include <iostream>
#include <nlohmann/json.hpp>

#include "tests/load/child_process.hpp"

using namespace airlock::load;

int main(int argc, char** argv) {
    CLI::App app{
        "airlock-crashrun: run COMMAND, SIGKILL it after --kill-after-ms unless it ended,\n"
        "then wait --grace-ms for what it left behind. Prints one JSON object. Exit status 0\n"
        "when nothing it started was still alive after the grace period, 1 otherwise, 2 on bad "
        "usage."};
    long kill_after_ms = 0, grace_ms = 5000;
    std::string out_path, err_path;
    std::vector<std::string> command;
    app.add_option("--kill-after-ms", kill_after_ms, "when to SIGKILL the command")->required();
    app.add_option("--grace-ms", grace_ms, "how long orphans may take to die (default 5000)");
    app.add_option("--stdout", out_path, "the command's stdout goes to this file");
    app.add_option("--stderr", err_path, "the command's stderr goes to this file");
    app.add_option("command", command, "the command and its arguments (after --)")->required();
    app.positionals_at_end();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (auto ready = prepare_supervisor(); !ready) {
        std::cerr << "airlock-crashrun: " << ready.error().describe() << "\n";
        return 2;
    }
    auto child = spawn({command, false, out_path, err_path});
    if (!child) {
        std::cerr << "airlock-crashrun: " << child.error().describe() << "\n";
        return 2;
    }
    const auto started = std::chrono::steady_clock::now();
    bool killed = false;
    auto exited = wait_for(child->pid, started + std::chrono::milliseconds(kill_after_ms));
    if (!exited) {
        ::kill(child->pid, SIGKILL);
        killed = true;
        exited = wait_for(child->pid, std::chrono::steady_clock::time_point::max());
    }
    const Orphans orphans = reap_orphans(std::chrono::milliseconds(grace_ms));
    nlohmann::json exited_list = nlohmann::json::array(), leftovers = nlohmann::json::array();
    for (const auto& p : orphans.exited)
        exited_list.push_back(describe(p));
    for (const auto& p : orphans.leftovers)
        leftovers.push_back(describe(p));
    std::cout << nlohmann::json{{"killed", killed},
                                {"exit", exited ? exited->status : -1},
                                {"orphans_exited_within_grace", exited_list},
                                {"leftovers", leftovers}}
                     .dump()
              << "\n";
    return orphans.leftovers.empty() ? 0 : 1;
}
