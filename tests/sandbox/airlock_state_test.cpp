// airlock's own state (.airlock/: the WAL, placeholder locks, a workspace policy) and
// airlock's descriptors are out of the command's reach.
#include "escape_harness.hpp"

using namespace airlock::escape;

namespace {

// The WAL file of the first run in the workspace, after one harmless call.
fs::path first_wal(Scenario& s) {
    auto first = s.sh("true");
    REQUIRE(first.exit_code == 0);
    return fs::path(field(first, "wal"));
}

}  // namespace

TEST_CASE("the WAL of an earlier run cannot be rewritten, truncated or deleted") {
    Scenario s;
    const fs::path wal = first_wal(s);
    const std::string before = read_text(wal);
    REQUIRE_FALSE(before.empty());
    const std::string w = "'" + wal.string() + "'";
    for (const std::string& attack :
         std::vector<std::string>{"m=forg; echo ${m}ed >> " + w, ": > " + w, "rm -f " + w,
                                  "mv " + w + " moved.jsonl", "chmod 666 " + w}) {
        CAPTURE(attack);
        auto r = s.sh(attack);
        CHECK(r.exit_code != 0);
        CHECK(contains(field(r, "stderr"), "Read-only file system"));
        CHECK(read_text(wal) == before);
    }
    // Positive control: the same operations on a workspace file.
    write_text(s.ws() / "log.jsonl", "x\n");
    auto ok =
        s.sh("m=fi; echo ${m}ne >> log.jsonl && chmod 666 log.jsonl && mv log.jsonl l2 && rm l2");
    CHECK(ok.exit_code == 0);
    CHECK_FALSE(fs::exists(s.ws() / "l2"));
}

TEST_CASE("the running call's own WAL cannot be forged") {
    Scenario s;
    auto r = s.sh("m=forg; for f in .airlock/runs/*/events.jsonl; do echo ${m}ed >> $f; done");
    CHECK(r.exit_code != 0);
    CHECK_FALSE(contains(s.workspace().wal_text(), "forged"));
    auto ok = s.sh("m=fi; echo ${m}ne >> notes.txt");
    CHECK(ok.exit_code == 0);
    CHECK(read_text(s.ws() / "notes.txt") == "fine\n");
}

TEST_CASE(".airlock cannot be deleted or renamed away") {
    Scenario s;
    const fs::path wal = first_wal(s);
    const std::string before = read_text(wal);
    for (const std::string& attack :
         std::vector<std::string>{"rm -rf .airlock", "mv .airlock gone", "rm -rf .airlock/runs",
                                  "mv .airlock/runs .airlock-runs"}) {
        CAPTURE(attack);
        auto r = s.sh(attack);
        CHECK(r.exit_code != 0);
        CHECK(read_text(wal) == before);
    }
    CHECK_FALSE(fs::exists(s.ws() / "gone"));
    // (mv across mounts copies first: a copy of the runs may appear, the originals stay.)
    // Positive control: a workspace directory of the same shape.
    fs::create_directories(s.ws() / "state" / "runs");
    auto ok = s.sh("mv state/runs runs2 && mv state gone && rm -rf gone runs2");
    CHECK(ok.exit_code == 0);
    CHECK_FALSE(fs::exists(s.ws() / "state"));
}

TEST_CASE("no file can be planted in .airlock (a workspace policy, a placeholder lock)") {
    Scenario s;
    first_wal(s);
    for (const std::string name : {".airlock/policy.json", ".airlock/placeholders/x.lock",
                                   ".airlock/runs/forged/events.jsonl"}) {
        CAPTURE(name);
        auto r = s.sh("mkdir -p \"$(dirname " + name + ")\" && echo '{}' > " + name);
        CHECK(r.exit_code != 0);
        CHECK_FALSE(fs::exists(s.ws() / name));
    }
    auto ok = s.sh("mkdir -p state/runs/x && echo '{}' > state/policy.json");
    CHECK(ok.exit_code == 0);
    CHECK(fs::exists(s.ws() / "state/policy.json"));
}

TEST_CASE("the command sees only descriptors 0, 1 and 2") {
    Scenario s;
    auto r = s.sh("ls /proc/$$/fd");
    require_sandboxed(r);
    CHECK(r.exit_code == 0);
    CHECK(field(r, "stdout") == "0\n1\n2\n");
    // Positive control: the listing does show a descriptor the command opened itself.
    auto ok = s.sh("exec 7</dev/null; ls /proc/$$/fd");
    CHECK(ok.exit_code == 0);
    CHECK(field(ok, "stdout") == "0\n1\n2\n7\n");
}

TEST_CASE("stdin is /dev/null: the command cannot read airlock's input") {
    Scenario s;
    auto r = s.sh("readlink /proc/$$/fd/0; cat");
    CHECK(r.exit_code == 0);
    CHECK(field(r, "stdout") == "/dev/null\n");
    // Positive control: stdout is a pipe back to airlock.
    auto ok = s.sh("readlink /proc/$$/fd/1");
    CHECK(contains(field(ok, "stdout"), "pipe:"));
}
