// Shared runs: one run's log written by several airlock processes in turn (an agent's session,
// one process per tool call). The chain stays one, a finished run is resumed on the record, and
// a damaged log is never continued.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "platform/sha256.hpp"
#include "wal/verify.hpp"
#include "wal/writer.hpp"
#include "wal_files.hpp"

namespace {

using airlock::Result;
using airlock::test::lines_of;
using airlock::test::read_text;
using airlock::test::TempDir;
using airlock::test::write_lines;
using airlock::test::write_text;
namespace wal = airlock::wal;
namespace fs = std::filesystem;

wal::Writer shared(const fs::path& ws) {
    auto w = wal::Writer::open_shared(ws, "agent-run");
    REQUIRE_MESSAGE(w.ok(), (w.ok() ? "" : w.error().describe()));
    return std::move(w).value();
}

// The run as a process sees it under the lock, newest first ("type:call_id"), read back as far
// as `enough` says; appends nothing.
Result<std::vector<std::string>> read_back(wal::Writer& w, std::size_t enough = SIZE_MAX) {
    std::vector<std::string> seen;
    auto looked = w.append_if(
        [&](const wal::History& h) -> Result<std::optional<nlohmann::json>> {
            auto read = h.newest_first([&](const wal::Record& r) {
                seen.push_back(r.type + ":" + r.call_id);
                return seen.size() < enough;
            });
            if (!read) return read.error();
            return std::optional<nlohmann::json>();
        },
        "never_written", "");
    if (!looked) return looked.error();
    REQUIRE(*looked == false);
    return seen;
}

// Whether another process could lock the run's log now (its own open file, as a process has).
bool lockable_by_another(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    const bool locked = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    const int err = errno;
    ::close(fd);  // lets the lock go
    if (!locked) REQUIRE(err == EWOULDBLOCK);
    return locked;
}

wal::Log verified(const fs::path& file) {
    auto log = wal::read_log(file, "agent-run");
    REQUIRE(log.ok());
    return std::move(log).value();
}

}  // namespace

TEST_CASE("processes of a shared run write one chain: started, resumed, interleaved, finished") {
    TempDir dir;
    wal::Writer first = shared(dir.path());
    CHECK(first.shared());
    // Run logs name commands: the run's directory is its owner's only.
    CHECK((fs::status(first.path().parent_path()).permissions() & fs::perms::all) ==
          fs::perms::owner_all);
    CHECK(first.append_opening({{"pid", 1}}).value() == "run_started");
    REQUIRE(first.append("call_received", "a1", {{"tool", "shell_exec"}}).ok());

    wal::Writer second = shared(dir.path());
    // The second process sees what the first wrote, before anything of its own.
    CHECK(second.records() == 2);
    CHECK(read_back(second).value() ==
          std::vector<std::string>{"call_received:a1", "run_started:"});
    CHECK(second.append_opening({{"pid", 2}}).value() == "run_resumed");
    // Interleaved appends: each links to the other's last record.
    REQUIRE(first.append("call_finished", "a1", {{"status", "ok"}}).ok());
    REQUIRE(second.append("call_received", "b1", {{"tool", "file_read"}}).ok());
    REQUIRE(first.append("run_finished", "", {{"calls", 1}}).ok());
    // The run had ended: the second process continues it, on the record.
    REQUIRE(second.append("call_finished", "b1", {{"status", "ok"}}).ok());
    REQUIRE(second.append("run_finished", "", {{"calls", 1}}).ok());
    REQUIRE(second.sync().ok());

    const auto log = verified(first.path());
    CHECK(log.verification.verdict == wal::Verdict::intact);
    std::vector<std::string> types;
    for (const auto& r : log.records)
        types.push_back(r.type);
    CHECK(types == std::vector<std::string>{"run_started", "call_received", "run_resumed",
                                            "call_finished", "call_received", "run_finished",
                                            "run_resumed", "call_finished", "run_finished"});
}

TEST_CASE("writers take their own records without reading them back") {
    // Each writer skips reading back the lines it appended itself; the other's lines it still
    // reads and checks. The chain stays one, whatever the interleaving.
    TempDir dir;
    auto first = wal::Writer::open_shared(dir.path(), "agent-run");
    REQUIRE(first.ok());
    CHECK(first->append_opening({{"pid", 1}}).value() == "run_started");
    REQUIRE(first->append("call_received", "a1", {{"tool", "shell_exec"}}).ok());
    REQUIRE(first->append("call_finished", "a1", {{"status", "ok"}}).ok());
    auto second = wal::Writer::open_shared(dir.path(), "agent-run");
    REQUIRE(second.ok());
    CHECK(second->append_opening({{"pid", 2}}).value() == "run_resumed");
    for (int i = 0; i < 3; ++i) {
        REQUIRE(first->append("call_received", "a" + std::to_string(i + 2), {{"i", i}}).ok());
        REQUIRE(first->append("call_finished", "a" + std::to_string(i + 2), {{"i", i}}).ok());
        REQUIRE(second->append("call_received", "b" + std::to_string(i + 1), {{"i", i}}).ok());
    }
    REQUIRE(second->append("run_finished", "", {{"calls", 3}}).ok());
    REQUIRE(first->append("call_received", "a9", {{"late", true}}).ok());  // resumes the run
    REQUIRE(first->sync().ok());
    const auto log = verified(first->path());
    CHECK(log.verification.verdict == wal::Verdict::incomplete);  // ends after run_resumed
    REQUIRE(log.records.size() == 16);
    for (std::size_t i = 0; i < log.records.size(); ++i)
        CHECK(log.records[i].seq == i + 1);
    CHECK(log.records[13].type == "run_finished");
    CHECK(log.records[14].type == "run_resumed");
    CHECK(log.records[15].call_id == "a9");
}

TEST_CASE("a writer holding its lock until the sync: one chain, and the others wait only so long") {
    TempDir dir;
    wal::Writer other = shared(dir.path());
    REQUIRE(other.append_opening({{"pid", 1}}).ok());
    const fs::path file = other.path();
    // Positive control: an ordinary writer lets the lock go after each append.
    REQUIRE(other.append("call_received", "a1", {{"tool", "shell_exec"}}).ok());
    CHECK(lockable_by_another(file));

    wal::Writer decider = shared(dir.path());
    decider.hold_lock_until_sync();
    CHECK(lockable_by_another(file));  // nothing appended yet: nothing held
    CHECK(decider.append_opening({{"pid", 2}}).value() == "run_resumed");
    CHECK_FALSE(lockable_by_another(file));
    REQUIRE(decider.append("call_received", "b1", {{"tool", "shell_exec"}}).ok());
    REQUIRE(decider.append("call_finished", "b1", {{"status", "ok"}}).ok());
    CHECK_FALSE(lockable_by_another(file));
    REQUIRE(decider.sync().ok());
    CHECK(lockable_by_another(file));  // the sync let it go

    // The other writer catches up with all three, and the held writer with it after that.
    REQUIRE(other.append("call_finished", "a1", {{"status", "ok"}}).ok());
    REQUIRE(decider.append("run_finished", "", {{"calls", 1}}).ok());
    CHECK_FALSE(lockable_by_another(file));
    REQUIRE(decider.sync().ok());
    const auto log = verified(file);
    CHECK(log.verification.verdict == wal::Verdict::intact);
    std::vector<std::string> types;
    for (const auto& r : log.records)
        types.push_back(r.type + ":" + r.call_id);
    CHECK(types == std::vector<std::string>{"run_started:", "call_received:a1",
                                            "run_resumed:", "call_received:b1", "call_finished:b1",
                                            "call_finished:a1", "run_finished:"});
}

TEST_CASE("a held lock goes with its writer") {
    TempDir dir;
    fs::path file;
    {
        wal::Writer decider = shared(dir.path());
        decider.hold_lock_until_sync();
        REQUIRE(decider.append_opening({{"pid", 1}}).ok());
        file = decider.path();
        CHECK_FALSE(lockable_by_another(file));
    }
    CHECK(lockable_by_another(file));
    wal::Writer next = shared(dir.path());
    CHECK(next.append_opening({{"pid", 2}}).value() == "run_resumed");
}

TEST_CASE("append_if decides under the lock, after reading the other processes' records") {
    TempDir dir;
    wal::Writer a = shared(dir.path());
    REQUIRE(a.append_opening({{"pid", 1}}).ok());
    auto b = wal::Writer::open_shared(dir.path(), "agent-run");
    REQUIRE(b.ok());
    auto redeem = [&](const wal::History& h) -> Result<std::optional<nlohmann::json>> {
        int grants = 0;
        auto read = h.newest_first([&](const wal::Record& r) {
            if (r.type == "grant_issued") ++grants;
            if (r.type == "grant_redeemed") --grants;
            return true;
        });
        if (!read) return read.error();
        if (grants <= 0) return std::optional<nlohmann::json>();
        return std::optional<nlohmann::json>(nlohmann::json{{"key", "k"}});
    };
    CHECK(b->append_if(redeem, "grant_redeemed", "b1").value() == false);  // nothing issued yet
    REQUIRE(a.append("grant_issued", "a1", {{"key", "k"}}).ok());
    CHECK(b->append_if(redeem, "grant_redeemed", "b1").value() == true);   // a's record seen
    CHECK(b->append_if(redeem, "grant_redeemed", "b2").value() == false);  // used once
    CHECK(verified(a.path()).verification.verdict == wal::Verdict::incomplete);
}

TEST_CASE("a damaged shared run is never continued") {
    TempDir dir;
    {
        wal::Writer w = shared(dir.path());
        REQUIRE(w.append_opening({{"pid", 1}}).ok());
        REQUIRE(w.append("call_received", "c1", {{"tool", "shell_exec"}}).ok());
    }
    const fs::path file = dir.path() / ".airlock/runs/agent-run/events.jsonl";
    const std::string text = read_text(file);

    // A torn last line (a process killed mid-write): continuing it would bury the tear.
    write_text(file, text + "{\"v\":1,\"seq\":3");
    auto torn = wal::Writer::open_shared(dir.path(), "agent-run");
    REQUIRE_FALSE(torn.ok());
    CHECK(torn.error().message.find("torn") != std::string::npos);
    CHECK(read_text(file) == text + "{\"v\":1,\"seq\":3");  // nothing appended, nothing repaired

    // A tampered line.
    write_text(file, text);
    auto lines = lines_of(file);
    lines[0].replace(lines[0].find("\"pid\":1"), 7, "\"pid\":9");
    write_lines(file, lines);
    auto tampered = wal::Writer::open_shared(dir.path(), "agent-run");
    REQUIRE_FALSE(tampered.ok());
    CHECK(tampered.error().message.find("broken") != std::string::npos);

    // Positive control: the intact log is continued.
    write_text(file, text);
    CHECK(wal::Writer::open_shared(dir.path(), "agent-run").ok());
}

// A log of `calls` calls written by one process after another, as an agent's hooks do.
fs::path shared_calls(const fs::path& ws, int calls) {
    {
        wal::Writer w = shared(ws);
        REQUIRE(w.append_opening({{"pid", 1}}).ok());
    }
    for (int i = 1; i <= calls; ++i) {
        auto w = wal::Writer::open_shared(ws, "agent-run");
        REQUIRE(w.ok());
        REQUIRE(w->append_opening({{"pid", 1 + i}}).ok());
        REQUIRE(w->append("call_received", "c" + std::to_string(i), {{"tool", "shell_exec"}}).ok());
    }
    return ws / ".airlock/runs/agent-run/events.jsonl";
}

TEST_CASE("a process continuing a shared run checks its tail, and wal verify still checks it all") {
    TempDir dir;
    const fs::path file = shared_calls(dir.path(), 3);  // 7 lines
    auto lines = lines_of(file);
    REQUIRE(lines.size() == 7);
    // An earlier record altered: its line still parses, and the tail still links.
    REQUIRE(lines[2].find("\"shell_exec\"") != std::string::npos);
    lines[2].replace(lines[2].find("\"shell_exec\""), 12, "\"file_write\"");
    write_lines(file, lines);

    // A process that needs no history (an agent's hook) continues from the verified tail:
    // the fault is not looked for at append time...
    auto w = wal::Writer::open_shared(dir.path(), "agent-run");
    REQUIRE_MESSAGE(w.ok(), (w.ok() ? "" : w.error().describe()));
    CHECK(w->records() == 7);
    CHECK(w->append_opening({{"pid", 9}}).value() == "run_resumed");
    REQUIRE(w->append("call_received", "c9", {{"tool", "shell_exec"}}).ok());
    // ...and the new records link to the old tail, so the chain from line 4 on is unbroken...
    const auto after = lines_of(file);
    REQUIRE(after.size() == 9);
    CHECK(after[8].find("\"seq\":9,") != std::string::npos);
    CHECK(after[7].find("\"prev\":\"" + airlock::sha256_hex(after[6]) + "\"") != std::string::npos);
    CHECK(after[8].find("\"prev\":\"" + airlock::sha256_hex(after[7]) + "\"") != std::string::npos);
    // ...while a full verification still finds the altered record, at the line after it.
    const auto log = verified(file);
    CHECK(log.verification.verdict == wal::Verdict::tampered);
    REQUIRE(log.verification.broken.has_value());
    CHECK(log.verification.broken->line == 4);
    // A process reading the history back (one redeeming a grant) decides on the records after
    // the altered one, and refuses to read past it: the altered line no longer hashes to the
    // prev of the line after it.
    CHECK(read_back(*w, 6).value() ==
          std::vector<std::string>{"call_received:c9", "run_resumed:", "call_received:c3",
                                   "run_resumed:", "call_received:c2", "run_resumed:"});
    auto past = read_back(*w);
    REQUIRE_FALSE(past.ok());
    CHECK(past.error().message.find("broken at line 3") != std::string::npos);
    CHECK(lines_of(file).size() == 9);  // looking appends nothing

    // Positive control: the same appends to an untouched log verify.
    TempDir clean;
    const fs::path clean_file = shared_calls(clean.path(), 3);
    auto c = wal::Writer::open_shared(clean.path(), "agent-run");
    REQUIRE(c.ok());
    REQUIRE(c->append_opening({{"pid", 9}}).ok());
    CHECK(verified(clean_file).verification.verdict == wal::Verdict::incomplete);
    CHECK(verified(clean_file).records.size() == 8);
}

TEST_CASE("a long shared run whose tail is torn or broken is not continued") {
    TempDir dir;
    const fs::path file = shared_calls(dir.path(), 3);
    const std::string text = read_text(file);
    const auto lines = lines_of(file);

    // A torn last line (no newline), and a complete last line that is not JSON.
    for (const std::string& torn :
         {std::string("{\"v\":1,\"seq\":8"), std::string("{\"v\":1,\n")}) {
        write_text(file, text + torn);
        auto w = wal::Writer::open_shared(dir.path(), "agent-run");
        REQUIRE_FALSE(w.ok());
        CHECK(w.error().message.find("torn line 8") != std::string::npos);
        CHECK(read_text(file) == text + torn);  // nothing appended, nothing repaired
    }

    // The record before the last altered: the last one's prev no longer matches it.
    auto altered = lines;
    altered[5].replace(altered[5].find("\"pid\":4"), 7, "\"pid\":5");
    write_lines(file, altered);
    auto broken = wal::Writer::open_shared(dir.path(), "agent-run");
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.error().message.find("broken at line 7") != std::string::npos);

    // The last line replaced by another run's record.
    auto foreign = lines;
    foreign[6].replace(foreign[6].find("\"agent-run\""), 11, "\"other-run\"");
    write_lines(file, foreign);
    CHECK_FALSE(wal::Writer::open_shared(dir.path(), "agent-run").ok());

    // Positive control: the intact log is continued.
    write_text(file, text);
    CHECK(wal::Writer::open_shared(dir.path(), "agent-run").ok());
}

TEST_CASE("a run id given from outside is a plain name") {
    for (const char* bad : {"", ".hidden", "../x", "a/b", "a b", "x\n"})
        CHECK_FALSE(wal::check_run_id(bad).ok());
    CHECK(wal::check_run_id("claude-code-0123abc").ok());
    TempDir dir;
    CHECK_FALSE(wal::Writer::open_shared(dir.path(), "../escape").ok());
    CHECK_FALSE(fs::exists(dir.path() / ".airlock/escape"));
}
