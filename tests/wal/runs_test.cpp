// Listing runs, finding a run's log, the timeline and the export, on real files.
#include <doctest/doctest.h>

#include "wal/export.hpp"
#include "wal/runs.hpp"
#include "wal/timeline.hpp"
#include "wal_files.hpp"

namespace fs = std::filesystem;
using airlock::test::lines_of;
using airlock::test::read_text;
using airlock::test::TempDir;
using airlock::test::write_lines;
using airlock::test::write_run;
using airlock::test::write_text;
namespace wal = airlock::wal;

TEST_CASE("list: every run with its start, calls and status, oldest first") {
    TempDir dir;
    const fs::path ws = dir.path();
    CHECK(wal::list_runs(ws)->empty());  // no .airlock yet: nothing, not an error

    write_run(ws, "run-c-finished", 2);
    write_run(ws, "run-a-aborted", 1, "run_aborted");
    write_run(ws, "run-b-crashed", 3, "");
    const auto torn = write_run(ws, "run-d-torn", 1);
    const std::string text = read_text(torn);
    write_text(torn, text.substr(0, text.size() - 10));
    const auto bad = write_run(ws, "run-e-tampered", 1);
    auto lines = lines_of(bad);
    lines.erase(lines.begin() + 2);
    write_lines(bad, lines);
    fs::create_directories(wal::runs_dir(ws) / "run-f-empty-dir");

    auto runs = wal::list_runs(ws);
    REQUIRE(runs.ok());
    REQUIRE(runs->size() == 6);
    std::map<std::string, wal::RunSummary> by_id;
    for (const auto& r : *runs)
        by_id[r.run_id] = r;
    CHECK(by_id["run-c-finished"].status == "finished");
    CHECK(by_id["run-c-finished"].calls == 2);
    CHECK(by_id["run-a-aborted"].status == "aborted");
    CHECK(by_id["run-b-crashed"].status == "incomplete");
    CHECK(by_id["run-b-crashed"].calls == 3);
    CHECK(by_id["run-d-torn"].status == "truncated");
    CHECK(by_id["run-e-tampered"].status == "tampered");
    CHECK(by_id["run-f-empty-dir"].status == "unreadable");
    CHECK(by_id["run-f-empty-dir"].error.find("cannot open") == 0);
    CHECK(by_id["run-c-finished"].started.size() == 27);

    // Written in this order, so listed in this order (the unreadable one has no start time).
    std::vector<std::string> order;
    for (const auto& r : *runs)
        order.push_back(r.run_id);
    CHECK(order == std::vector<std::string>{"run-f-empty-dir", "run-c-finished", "run-a-aborted",
                                            "run-b-crashed", "run-d-torn", "run-e-tampered"});
}

TEST_CASE("a run is found by id, by \"last\", or by path, and nothing else") {
    TempDir dir;
    const fs::path ws = dir.path();
    CHECK_FALSE(wal::locate_log(ws, "last").ok());
    const auto first = write_run(ws, "run-1", 0);
    const auto second = write_run(ws, "run-0", 0);  // newer, though its id sorts first

    auto by_id = wal::locate_log(ws, "run-1");
    REQUIRE(by_id.ok());
    CHECK(by_id->file == first);
    CHECK(by_id->run_id == "run-1");
    CHECK(wal::locate_log(ws, "last")->file == second);
    auto by_path = wal::locate_log(ws, first.string());
    REQUIRE(by_path.ok());
    CHECK(by_path->file == first);
    CHECK_FALSE(by_path->run_id);
    CHECK(wal::locate_log(ws, first.parent_path().string())->file == first);

    auto missing = wal::locate_log(ws, "run-9");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message.find("no run \"run-9\" under") == 0);
    CHECK_FALSE(wal::locate_log(ws, "..").ok());
    CHECK_FALSE(wal::locate_log(ws, (ws / "nothing.jsonl").string()).ok());
}

TEST_CASE("export: each record with its run's context, filtered by --since") {
    TempDir dir;
    auto log = wal::read_log(write_run(dir.path(), "run-x", 1));
    REQUIRE(log.ok());
    const auto context = wal::run_context(log->records);
    CHECK(context == nlohmann::ordered_json{{"host", "testhost"},
                                            {"user", "tester"},
                                            {"workspace", dir.path().string()},
                                            {"airlock_version", "0.1.0"}});
    const auto& r = log->records[2];
    const auto j = wal::export_record(r, context);
    CHECK(j["run_id"] == "run-x");
    CHECK(j["seq"] == 3);
    CHECK(j["type"] == "call_received");
    CHECK(j["call_id"] == "c1");
    CHECK(j["host"] == "testhost");
    CHECK(j["user"] == "tester");
    CHECK(j["airlock_version"] == "0.1.0");
    CHECK(j["data"] == r.data);
    CHECK(j["prev"] == log->records[1].hash);
    CHECK(j["hash"] == r.hash);

    CHECK(wal::parse_since("1970-01-02").value() == 86400LL * 1000000);
    CHECK(wal::parse_since("1970-01-01T00:00:10Z").value() == 10LL * 1000000);
    CHECK(wal::parse_since("1970-01-01T00:00:10.000005Z").value() == 10LL * 1000000 + 5);
    auto bad = wal::parse_since("yesterday");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("--since \"yesterday\"") == 0);
}

TEST_CASE("show: a readable line per event, colour only when asked") {
    TempDir dir;
    auto log = wal::read_log(write_run(dir.path(), "run-x", 1));
    REQUIRE(log.ok());
    wal::Timeline timeline;
    std::vector<std::string> plain;
    for (const auto& r : log->records)
        plain.push_back(wal::render(timeline.add(r), false));
    REQUIRE(plain.size() == 9);
    CHECK(plain[2].find("c1    call_received       shell_exec: echo 'call c1'") == 14);
    CHECK(plain[3].find("policy_decided      allow by rule <default>: default") !=
          std::string::npos);
    CHECK(plain[4].find("sandbox_prepared    bwrap") != std::string::npos);
    CHECK(plain[6].find("exec_finished       exit 0, 7 ms") != std::string::npos);
    CHECK(plain[7].find("call_finished       ok, exit 0, call took ") != std::string::npos);
    CHECK(plain[8].find("run_finished        1 call, 0 blocked or failed") != std::string::npos);
    for (const auto& line : plain)
        CHECK(line.find('\x1b') == std::string::npos);

    wal::Timeline coloured;
    const std::string red = wal::render(coloured.add(log->records[3]), true);
    CHECK(red.find("\x1b[32m") != std::string::npos);  // allow is green
    CHECK(wal::render_header(log->records[0], false).find("run run-x  started ") == 0);
}

TEST_CASE("show: escape sequences inside a log cannot reach the terminal") {
    TempDir dir;
    auto w = wal::Writer::create(dir.path(), "run-esc");
    REQUIRE(w.ok());
    REQUIRE(w->append("run_started", "", {{"host", "h"}}).ok());
    REQUIRE(w->append("call_received", "c1",
                      {{"tool", "shell_exec"},
                       {"shell",
                        "echo \x1b[2J\x1b]0;owned\x07 \xc2\x9b"
                        "31m\nx"}})
                .ok());
    auto log = wal::read_log(w->path());
    REQUIRE(log.ok());
    wal::Timeline timeline;
    const std::string line = wal::render(timeline.add(log->records[1]), false);
    CHECK(line.find('\x1b') == std::string::npos);
    CHECK(line.find('\x07') == std::string::npos);
    CHECK(line.find("\xc2\x9b") == std::string::npos);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find("echo \\x1b[2J\\x1b]0;owned\\x07 \\x9b31m\\nx") != std::string::npos);
}

TEST_CASE("show: an approval about a network destination names its host and port") {
    wal::Timeline timeline;
    wal::Record asked;
    asked.type = "approval_requested";
    asked.call_id = "c1";
    asked.ts = "2026-11-21T10:35:30.123456Z";
    asked.data = {{"key", "k"},
                  {"provider", "exec:ask"},
                  {"rule", "unknown"},
                  {"network", {{"host", "pypi.org"}, {"port", 443}}}};
    CHECK(wal::render(timeline.add(asked), false)
              .find("network pypi.org:443: asking exec:ask (rule unknown)") != std::string::npos);
    wal::Record answered = asked;
    answered.type = "approval_answered";
    answered.data = {{"provider", "exec:ask"},
                     {"decision", "denied"},
                     {"network", {{"host", "pypi.org"}, {"port", 443}}}};
    CHECK(wal::render(timeline.add(answered), false)
              .find("network pypi.org:443: denied by exec:ask") != std::string::npos);
    // Positive control: a call's own approval has no such prefix.
    answered.data.erase("network");
    CHECK(wal::render(timeline.add(answered), false).find("network ") == std::string::npos);
}
