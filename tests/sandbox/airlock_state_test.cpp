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

// `airlock wal verify PATH`'s exit status (0 intact, 3 tampered).
int verify(Scenario& s, const fs::path& wal) {
    return s.airlock({"wal", "verify", wal.string()}).exit_code;
}

// The seccomp adapter cannot keep .airlock/ read-only (Landlock cannot carve it out of the
// writable workspace): it says so in `effective`, and a forged record is still found by the
// hash chain. Returns true when the adapter under test is seccomp (the scenario ends there).
bool seccomp_wal_gap(Scenario& s, const fs::path& wal) {
    if (!under_seccomp()) return false;
    REQUIRE(verify(s, wal) == 0);  // positive control: intact before the attack
    auto r = s.sh("m=forg; echo ${m}ed >> '" + wal.string() + "'");
    require_sandboxed(r);
    CHECK(effective(r)["filesystem"]["wal_protected"] == false);
    CHECK(verify(s, wal) == 3);  // tampered
    return true;
}

}  // namespace

TEST_CASE("the WAL of an earlier run cannot be rewritten, truncated or deleted") {
    Scenario s;
    const fs::path wal = first_wal(s);
    const std::string before = read_text(wal);
    REQUIRE_FALSE(before.empty());
    if (seccomp_wal_gap(s, wal)) return;
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
    if (under_seccomp()) {
        // The forged line lands, and the records airlock appends after it expose it.
        CHECK(effective(r)["filesystem"]["wal_protected"] == false);
        CHECK(verify(s, field(r, "wal")) == 3);
        auto ok = s.sh("true");
        CHECK(verify(s, field(ok, "wal")) == 0);  // positive control: an untouched run
        return;
    }
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
    if (seccomp_wal_gap(s, wal)) return;
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
    if (seccomp_wal_gap(s, first_wal(s))) return;
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
