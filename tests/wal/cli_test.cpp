// `airlock wal ...` end to end: the real binary on the logs of real runs.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <thread>

#include "wal/writer.hpp"
#include "wal_files.hpp"

namespace fs = std::filesystem;
using airlock::test::lines_of;
using airlock::test::read_text;
using airlock::test::Workspace;
using airlock::test::write_lines;
using airlock::test::write_text;

namespace {

fs::path only_log(const Workspace& ws) {
    std::vector<fs::path> logs;
    for (const auto& e : fs::directory_iterator(ws.path() / ".airlock" / "runs"))
        logs.push_back(e.path() / "events.jsonl");
    REQUIRE(logs.size() == 1);
    return logs.front();
}

}  // namespace

TEST_CASE("verify: a real run is intact, and a changed byte makes it tampered") {
    Workspace ws;
    REQUIRE(ws.airlock({"exec", "--", "true"}).exit_code == 0);
    const fs::path log = only_log(ws);
    const std::string run_id = log.parent_path().filename().string();

    auto ok = ws.airlock({"wal", "verify", run_id});
    CHECK(ok.exit_code == 0);
    CHECK(ok.out.find(": intact: ") != std::string::npos);
    auto json = ws.airlock({"wal", "verify", "--json", "last"});
    CHECK(json.exit_code == 0);
    CHECK(json.json()["verdict"] == "intact");
    CHECK(json.json()["final"] == "run_finished");
    CHECK(json.json()["run_id"] == run_id);

    auto lines = lines_of(log);
    REQUIRE(lines.size() > 4);
    const auto at = lines[1].find("builtin");
    REQUIRE(at != std::string::npos);
    lines[1][at] = 'B';
    write_lines(log, lines);
    auto bad = ws.airlock({"wal", "verify", "--json", log.string()});  // by path this time
    CHECK(bad.exit_code == 3);
    CHECK(bad.json()["verdict"] == "tampered");
    CHECK(bad.json()["broken"]["line"] == 3);
    CHECK(bad.json()["broken"]["seq"] == 3);
    auto human = ws.airlock({"wal", "verify", run_id});
    CHECK(human.exit_code == 3);
    CHECK(human.out.find("tampered: line 3 (seq 3): prev is not the sha256 of line 2") !=
          std::string::npos);
    // The other readers show what verified, then fail with the same finding.
    auto show = ws.airlock({"wal", "show", run_id});
    CHECK(show.exit_code == 3);
    CHECK(show.out.find("policy_loaded") != std::string::npos);
    CHECK(show.out.find("approver_ready") == std::string::npos);
    CHECK(show.err.find("tampered: line 3 (seq 3)") != std::string::npos);
    auto exported = ws.airlock({"wal", "export", run_id});
    CHECK(exported.exit_code == 3);
    CHECK(std::count(exported.out.begin(), exported.out.end(), '\n') == 2);
    CHECK(ws.airlock({"wal", "list"}).out.find("tampered") != std::string::npos);
}

TEST_CASE("verify: exit status 1 incomplete, 2 truncated, 125 unreadable") {
    Workspace ws;
    REQUIRE(ws.airlock({"exec", "--", "true"}).exit_code == 0);
    const fs::path log = only_log(ws);
    const std::string text = read_text(log);
    auto lines = lines_of(log);

    lines.pop_back();
    write_lines(log, lines);
    auto incomplete = ws.airlock({"wal", "verify", "last"});
    CHECK(incomplete.exit_code == 1);
    CHECK(incomplete.out.find(": incomplete: ") != std::string::npos);

    write_text(log, text.substr(0, text.size() - 20));
    auto truncated = ws.airlock({"wal", "verify", "last"});
    CHECK(truncated.exit_code == 2);
    CHECK(truncated.out.find(": truncated: ") != std::string::npos);

    auto missing = ws.airlock({"wal", "verify", "20990101T000000Z-000000"});
    CHECK(missing.exit_code == 125);
    CHECK(missing.err.find("no run \"20990101T000000Z-000000\"") != std::string::npos);
    CHECK(ws.airlock({"wal", "verify"}).exit_code == 125);
}

TEST_CASE("verify: airlock killed mid-run leaves a log that verifies as incomplete") {
    Workspace ws;
    // The command blocks reading a FIFO, which the sandbox sees as part of the workspace.
    REQUIRE(::mkfifo((ws.path() / "gate").c_str(), 0600) == 0);
    const std::string workspace = ws.path().string();
    const std::string home = "HOME=" + (ws.outside() / "home").string();
    std::vector<std::string> args = {AIRLOCK_BINARY, "exec", "--workspace", workspace,
                                     "--",           "cat",  "gate"};
    std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", home, "LANG=C.UTF-8"};
    std::vector<char*> argv, envp;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    REQUIRE(::posix_spawn(&pid, AIRLOCK_BINARY, &actions, nullptr, argv.data(), envp.data()) == 0);
    posix_spawn_file_actions_destroy(&actions);

    // Opening the FIFO for writing returns once the sandboxed cat opened it: the command runs.
    const int gate = ::open((ws.path() / "gate").c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(gate >= 0);
    REQUIRE(::kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status));
    ::close(gate);  // lets cat (whatever is left of the sandbox) finish

    auto verdict = ws.airlock({"wal", "verify", "--json", "last"});
    CHECK(verdict.exit_code == 1);
    CHECK(verdict.json()["verdict"] == "incomplete");
    const auto records = ws.wal_records();
    CHECK(airlock::test::has_record(records, "exec_started"));
    CHECK_FALSE(airlock::test::has_record(records, "run_finished"));
}

TEST_CASE("list, show and export on real runs") {
    Workspace ws;
    REQUIRE(ws.airlock({"exec", "--", "true"}).exit_code == 0);
    REQUIRE(ws.airlock({"exec", "--", "sh", "-c", "exit 4"}).exit_code == 4);

    auto list = ws.airlock({"wal", "list", "--json"});
    CHECK(list.exit_code == 0);
    const auto runs = list.json();
    REQUIRE(runs.size() == 2);
    for (const auto& r : runs) {
        CHECK(r["status"] == "finished");
        CHECK(r["calls"] == 1);
    }
    CHECK(runs[0]["started"] < runs[1]["started"]);
    auto table = ws.airlock({"wal", "list"});
    CHECK(table.out.find("RUN") == 0);
    CHECK(table.out.find(runs[1]["run_id"].get<std::string>()) != std::string::npos);

    auto show = ws.airlock({"wal", "show", "last"});
    CHECK(show.exit_code == 0);
    CHECK(show.out.find("call_received       shell_exec: sh -c 'exit 4'") != std::string::npos);
    CHECK(show.out.find("exec_finished       exit 4") != std::string::npos);
    CHECK(show.out.find("call_finished       failed, exit 4") != std::string::npos);
    CHECK(show.out.find("-- intact: ") != std::string::npos);
    CHECK(show.out.find('\x1b') == std::string::npos);  // not a terminal: no colour
    auto show_json = ws.airlock({"wal", "show", "--json", "last"});
    CHECK(show_json.exit_code == 0);
    CHECK(show_json.json()["run"]["status"] == "finished");
    CHECK(show_json.json()["events"].size() == ws.run_records(runs[1]["path"]).size());

    auto exported = ws.airlock({"wal", "export", "--all"});
    CHECK(exported.exit_code == 0);
    std::size_t count = 0;
    std::istringstream in(exported.out);
    for (std::string line; std::getline(in, line); ++count) {
        const auto j = nlohmann::json::parse(line);
        CHECK(j["workspace"] == fs::canonical(ws.path()).string());
        CHECK(j["airlock_version"].is_string());
        CHECK(j["host"].is_string());
        CHECK(j["user"].is_string());
    }
    CHECK(count == ws.wal_records().size());
    auto one = ws.airlock({"wal", "export", runs[0]["run_id"]});
    CHECK(one.exit_code == 0);
    CHECK(std::count(one.out.begin(), one.out.end(), '\n') ==
          static_cast<long>(ws.run_records(runs[0]["path"]).size()));
    auto future = ws.airlock({"wal", "export", "--all", "--since", "2999-01-01"});
    CHECK(future.exit_code == 0);
    CHECK(future.out.empty());
    CHECK(ws.airlock({"wal", "export", "--all", "--since", "soon"}).exit_code == 125);
    CHECK(ws.airlock({"wal", "export"}).exit_code == 125);
}

TEST_CASE("tail -f follows a run until its final record") {
    Workspace ws;
    const fs::path workspace = fs::canonical(ws.path());
    auto w = airlock::wal::Writer::create(workspace, "20260101T000000Z-abcdef");
    REQUIRE(w.ok());
    REQUIRE(w->append("run_started", "", {{"host", "h"}, {"user", "u"}}).ok());
    REQUIRE(w->append("call_received", "c1", {{"tool", "shell_exec"}, {"argv", {"true"}}}).ok());

    airlock::test::Ran tail;
    std::thread follower([&] { tail = ws.airlock({"wal", "tail", "-f", "last"}); });
    REQUIRE(w->append("call_finished", "c1", {{"status", "ok"}, {"exit_code", 0}}).ok());
    REQUIRE(w->append("run_finished", "", {{"calls", 1}, {"blocked_or_failed", 0}}).ok());
    follower.join();
    CHECK(tail.exit_code == 0);
    CHECK(tail.out.find("run_started") != std::string::npos);
    CHECK(tail.out.find("call_finished       ok, exit 0") != std::string::npos);
    CHECK(tail.out.find("run_finished        1 call") != std::string::npos);

    auto once = ws.airlock({"wal", "tail", "--json", "last"});
    CHECK(once.exit_code == 0);
    CHECK(std::count(once.out.begin(), once.out.end(), '\n') == 4);
}
