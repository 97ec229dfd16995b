// airlock undo: restores newest first, one call or all, and never overwrites later changes.
#include <doctest/doctest.h>

#include "airlock_runner.hpp"
#include "plan_files.hpp"

using namespace airlock::test;
using nlohmann::json;

TEST_CASE("undo RUN restores every write of the run and undo of the undo redoes it") {
    Workspace ws;
    write_text(ws.path() / "a.txt", "original a");
    fs::permissions(ws.path() / "a.txt", fs::perms(0600));
    const std::string before = tree_hash(ws.path());
    CHECK(ws.airlock({"write", "a.txt"}, "first").exit_code == 0);
    const Ran w = ws.airlock({"write", "--json", "made/b.txt"}, "b");
    CHECK(w.exit_code == 0);
    // Both writes in one run: use a plan.
    write_text(
        ws.outside() / "p.json",
        R"({"steps": [{"id": "a", "tool": "file_write", "args": {"path": "a.txt", "content": "second"}},
                             {"id": "b", "tool": "file_write", "args": {"path": "made/c/d.txt", "content": "d"}}]})");
    const Ran plan = ws.airlock({"run", "--json", (ws.outside() / "p.json").string()});
    REQUIRE(plan.exit_code == 0);
    const std::string run = plan.json()["run_id"];
    const std::string after_plan = tree_hash(ws.path());

    const Ran u = ws.airlock({"undo", "--json", run});
    CHECK(u.exit_code == 0);
    const json j = u.json();
    REQUIRE(j["undone"].size() == 2);
    CHECK(j["undone"][0]["path"] == "made/c/d.txt");  // newest first
    CHECK(j["undone"][0]["action"] == "removed");
    CHECK(j["undone"][1]["action"] == "restored");
    CHECK(read_text(ws.path() / "a.txt") == "first");
    CHECK(mode_of(ws.path() / "a.txt") == 0600);
    CHECK_FALSE(fs::exists(ws.path() / "made/c"));
    CHECK(fs::exists(ws.path() / "made/b.txt"));  // another run's write
    CHECK(has_record(ws.run_records(j["wal"]), "undo"));

    // Undoing the same run again changes nothing.
    const Ran again = ws.airlock({"undo", "--json", run});
    CHECK(again.exit_code == 0);
    const auto again_json = again.json();  // the loop must not iterate into a temporary
    for (const auto& a : again_json["undone"])
        CHECK(a["action"] == "unchanged");

    // The undo kept what it replaced: undoing the undo run puts the plan's result back.
    CHECK(ws.airlock({"undo", j["run_id"]}).exit_code == 0);
    CHECK(tree_hash(ws.path()) == after_plan);
    (void)before;
}

TEST_CASE("undo --call restores one call and a file changed since is not overwritten") {
    Workspace ws;
    write_text(
        ws.outside() / "p.json",
        R"({"steps": [{"id": "a", "tool": "file_write", "args": {"path": "a.txt", "content": "A"}},
                             {"id": "b", "tool": "file_write", "args": {"path": "b.txt", "content": "B"}}]})");
    const Ran plan = ws.airlock({"run", "--json", (ws.outside() / "p.json").string()});
    REQUIRE(plan.exit_code == 0);
    const std::string run = plan.json()["run_id"];

    CHECK(ws.airlock({"undo", run, "--call", "c1"}).exit_code == 0);
    CHECK_FALSE(fs::exists(ws.path() / "a.txt"));
    CHECK(read_text(ws.path() / "b.txt") == "B");
    CHECK(ws.airlock({"undo", run, "--call", "c9"}).exit_code == 125);

    write_text(ws.path() / "b.txt", "changed by someone else");
    const Ran conflict = ws.airlock({"undo", run});
    CHECK(conflict.exit_code == 1);
    CHECK(conflict.err.find("changed after") != std::string::npos);
    CHECK(read_text(ws.path() / "b.txt") == "changed by someone else");
}

TEST_CASE("undo refuses a tampered log and an altered blob") {
    Workspace ws;
    write_text(ws.path() / "a.txt", "old");
    const Ran w = ws.airlock({"write", "--json", "a.txt"}, "new");
    REQUIRE(w.exit_code == 0);
    const fs::path wal = w.json()["wal"].get<std::string>();
    for (const auto& e : fs::directory_iterator(wal.parent_path() / "blobs")) {
        fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
        write_text(e.path(), "forged");
    }
    const Ran u = ws.airlock({"undo", "last"});
    CHECK(u.exit_code == 1);
    CHECK(u.err.find("does not match its digest") != std::string::npos);
    CHECK(read_text(ws.path() / "a.txt") == "new");

    std::string text = read_text(wal);
    text.replace(text.find("\"bytes\":3"), 9, "\"bytes\":4");
    write_text(wal, text);
    CHECK(ws.airlock({"undo", w.json()["run_id"]}).exit_code == 125);
}
