// Shared runs: one run's log written by several airlock processes in turn (an agent's session,
// one process per tool call). The chain stays one, a finished run is resumed on the record, and
// a damaged log is never continued.
#include <doctest/doctest.h>

#include "wal/verify.hpp"
#include "wal/writer.hpp"
#include "wal_files.hpp"

namespace {

using airlock::test::lines_of;
using airlock::test::read_text;
using airlock::test::TempDir;
using airlock::test::write_lines;
using airlock::test::write_text;
namespace wal = airlock::wal;
namespace fs = std::filesystem;

wal::Writer shared(const fs::path& ws, std::vector<std::string>* seen = nullptr) {
    auto w = wal::Writer::open_shared(ws, "agent-run", [seen](const wal::Record& r) {
        if (seen) seen->push_back(r.type + ":" + r.call_id);
    });
    REQUIRE_MESSAGE(w.ok(), (w.ok() ? "" : w.error().describe()));
    return std::move(w).value();
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
    CHECK(first.append_opening({{"pid", 1}}).value() == "run_started");
    REQUIRE(first.append("call_received", "a1", {{"tool", "shell_exec"}}).ok());

    std::vector<std::string> seen;
    wal::Writer second = shared(dir.path(), &seen);
    // The second process saw what the first wrote, in order, before anything of its own.
    CHECK(seen == std::vector<std::string>{"run_started:", "call_received:a1"});
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

TEST_CASE("append_if decides under the lock, after reading the other processes' records") {
    TempDir dir;
    wal::Writer a = shared(dir.path());
    REQUIRE(a.append_opening({{"pid", 1}}).ok());
    int grants = 0;
    auto counting = [&grants](const wal::Record& r) {
        if (r.type == "grant_issued") ++grants;
        if (r.type == "grant_redeemed") --grants;
    };
    auto b = wal::Writer::open_shared(dir.path(), "agent-run", counting);
    REQUIRE(b.ok());
    auto redeem = [&]() -> std::optional<nlohmann::json> {
        if (grants <= 0) return std::nullopt;
        return nlohmann::json{{"key", "k"}};
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

TEST_CASE("a run id given from outside is a plain name") {
    for (const char* bad : {"", ".hidden", "../x", "a/b", "a b", "x\n"})
        CHECK_FALSE(wal::check_run_id(bad).ok());
    CHECK(wal::check_run_id("claude-code-0123abc").ok());
    TempDir dir;
    CHECK_FALSE(wal::Writer::open_shared(dir.path(), "../escape").ok());
    CHECK_FALSE(fs::exists(dir.path() / ".airlock/escape"));
}
