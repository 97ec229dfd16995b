// The bad-input table's WAL row (RELIABILITY.md): a log cut short, as a crash or a full disk
// leaves it, read by `airlock wal verify` and `airlock wal show`.
#include <doctest/doctest.h>

#include <algorithm>

#include "wal_files.hpp"

namespace fs = std::filesystem;
using airlock::test::read_text;
using airlock::test::Workspace;
using airlock::test::write_text;

TEST_CASE("bad input: a truncated WAL is named by line and bytes, show keeps the verified part") {
    Workspace ws;
    REQUIRE(ws.airlock({"exec", "--", "true"}).exit_code == 0);
    fs::path log;
    for (const auto& e : fs::directory_iterator(ws.path() / ".airlock" / "runs"))
        log = e.path() / "events.jsonl";
    const std::string text = read_text(log);
    const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    // Cut 20 bytes into the last line: its write never finished.
    const std::size_t last_start = text.rfind('\n', text.size() - 2) + 1;
    write_text(log, text.substr(0, last_start + 20));

    auto verify = ws.airlock({"wal", "verify", "--json", "last"});
    CHECK(verify.exit_code == 2);
    const auto v = verify.json();
    CHECK(v["verdict"] == "truncated");
    CHECK(v["records"] == lines - 1);
    CHECK(v["torn"]["line"] == lines);
    CHECK(v["torn"]["bytes"] == 20);
    CHECK(v["torn"]["reason"] == "the line has no newline: its write was cut short");
    auto human = ws.airlock({"wal", "verify", "last"});
    CHECK(human.exit_code == 2);
    CHECK(human.out.find(": truncated: ") != std::string::npos);

    // show: every verified record, then the verdict; the torn line is never shown as a record.
    auto show = ws.airlock({"wal", "show", "--json", "last"});
    CHECK(show.exit_code == 0);
    CHECK(show.json()["events"].size() == lines - 1);
    CHECK(show.json()["verification"]["verdict"] == "truncated");
    CHECK(show.json()["events"].back()["type"] == "call_finished");
    auto timeline = ws.airlock({"wal", "show", "last"});
    CHECK(timeline.exit_code == 0);
    CHECK(timeline.out.find("-- truncated") != std::string::npos);
    CHECK(timeline.out.find("run_finished") == std::string::npos);

    // An empty log (cut before its first record) is named as such, not as intact.
    write_text(log, "");
    auto empty = ws.airlock({"wal", "verify", "--json", "last"});
    CHECK(empty.exit_code != 0);
    CHECK(empty.json()["verdict"] != "intact");

    // The next run in the same workspace works and verifies intact (positive control).
    REQUIRE(ws.airlock({"exec", "--", "true"}).exit_code == 0);
    int intact = 0;
    for (const auto& e : fs::directory_iterator(ws.path() / ".airlock" / "runs"))
        intact += ws.airlock({"wal", "verify", e.path().filename().string()}).exit_code == 0;
    CHECK(intact == 1);
}
