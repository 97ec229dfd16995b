// The verdicts: intact, incomplete, truncated, tampered, on logs the real writer wrote.
#include <doctest/doctest.h>

#include "wal/verify.hpp"
#include "wal_files.hpp"

namespace fs = std::filesystem;
using airlock::test::lines_of;
using airlock::test::read_text;
using airlock::test::TempDir;
using airlock::test::write_lines;
using airlock::test::write_run;
using airlock::test::write_text;
using airlock::wal::read_log;
using airlock::wal::Verdict;
using airlock::wal::verdict_exit_status;

namespace {

airlock::wal::Log verified(const fs::path& file, std::optional<std::string> run_id = {}) {
    auto log = read_log(file, std::move(run_id));
    REQUIRE(log.ok());
    return std::move(log).value();
}

}  // namespace

TEST_CASE("a whole run is intact, and every record comes back in order") {
    TempDir dir;
    const auto file = write_run(dir.path(), "run-a", 3);
    const auto log = verified(file, "run-a");
    CHECK(log.verification.verdict == Verdict::intact);
    CHECK(log.verification.final_type == "run_finished");
    CHECK(log.verification.run_id == "run-a");
    CHECK(log.verification.records == 21);
    REQUIRE(log.records.size() == 21);
    for (std::size_t i = 0; i < log.records.size(); ++i) {
        CHECK(log.records[i].seq == i + 1);
        CHECK(log.records[i].line == i + 1);
    }
    CHECK(verdict_exit_status(Verdict::intact) == 0);

    const auto aborted = verified(write_run(dir.path(), "run-b", 1, "run_aborted"));
    CHECK(aborted.verification.verdict == Verdict::intact);
    CHECK(aborted.verification.final_type == "run_aborted");
}

TEST_CASE("a run without its final record is incomplete") {
    TempDir dir;
    const auto log = verified(write_run(dir.path(), "run-a", 2, ""));
    CHECK(log.verification.verdict == Verdict::incomplete);
    CHECK(log.verification.records == 14);
    CHECK(log.records.size() == 14);
    CHECK(verdict_exit_status(Verdict::incomplete) == 1);

    // A run that died before its first record is incomplete too, with nothing in it.
    const fs::path empty = dir.path() / "empty.jsonl";
    write_text(empty, "");
    CHECK(verified(empty).verification.verdict == Verdict::incomplete);
    CHECK(verified(empty).verification.records == 0);
}

TEST_CASE("a log cut mid-line is truncated, and the torn line is never read as a record") {
    TempDir dir;
    const auto file = write_run(dir.path(), "run-a", 2);
    const std::string text = read_text(file);
    const auto lines = lines_of(file);
    REQUIRE(lines.size() == 15);
    // Cut the last record in half: what a crash during its write leaves.
    const std::size_t last_start = text.size() - lines.back().size() - 1;
    write_text(file, text.substr(0, last_start + lines.back().size() / 2));
    auto log = verified(file);
    CHECK(log.verification.verdict == Verdict::truncated);
    CHECK(log.verification.records == 14);
    REQUIRE(log.verification.torn);
    CHECK(log.verification.torn->line == 15);
    CHECK(log.verification.torn->bytes == lines.back().size() / 2);
    REQUIRE(log.records.size() == 14);
    CHECK(log.records.back().seq == 14);
    CHECK(verdict_exit_status(Verdict::truncated) == 2);

    // The whole last record but its newline: still torn, still not read.
    write_text(file, text.substr(0, text.size() - 1));
    log = verified(file);
    CHECK(log.verification.verdict == Verdict::truncated);
    CHECK(log.records.size() == 14);

    // A last line that ended but is not JSON (a torn write padded by the file system).
    write_text(file, text.substr(0, last_start) + std::string(40, '\0') + "\n");
    log = verified(file);
    CHECK(log.verification.verdict == Verdict::truncated);
    CHECK(log.verification.torn->line == 15);
    CHECK(log.records.size() == 14);
}

TEST_CASE("a changed byte is tampering, named by line and seq") {
    TempDir dir;
    const auto file = write_run(dir.path(), "run-a", 2);
    auto lines = lines_of(file);
    REQUIRE(lines[4].find("\"bwrap\"") != std::string::npos);  // seq 5: sandbox_prepared
    lines[4].replace(lines[4].find("\"bwrap\""), 7, "\"bwrAp\"");
    write_lines(file, lines);
    const auto log = verified(file);
    CHECK(log.verification.verdict == Verdict::tampered);
    REQUIRE(log.verification.broken);
    // Line 5 still parses; it is line 6 whose prev no longer matches it.
    CHECK(log.verification.broken->line == 6);
    CHECK(log.verification.broken->seq == 6);
    CHECK(log.verification.broken->reason.find("prev is not the sha256 of line 5") == 0);
    CHECK(log.records.size() == 5);  // what verified before the break
    CHECK(verdict_exit_status(Verdict::tampered) == 3);
    CHECK(airlock::wal::describe(log.verification).find("tampered: line 6 (seq 6)") == 0);
}

TEST_CASE("a changed seq, a broken line in the middle, and a foreign run id are tampering") {
    TempDir dir;
    const auto file = write_run(dir.path(), "run-a", 2);
    const auto original = lines_of(file);

    auto lines = original;
    lines[6].replace(lines[6].find("\"seq\":7"), 7, "\"seq\":8");
    write_lines(file, lines);
    auto log = verified(file);
    CHECK(log.verification.verdict == Verdict::tampered);
    CHECK(log.verification.broken->line == 7);
    CHECK(log.verification.broken->reason.find("seq is 8 where 7 was expected") == 0);

    lines = original;
    lines[3] = lines[3].substr(0, 20);  // not JSON, and lines follow: not a torn write
    write_lines(file, lines);
    log = verified(file);
    CHECK(log.verification.verdict == Verdict::tampered);
    CHECK(log.verification.broken->line == 4);

    // The same log read as another run's: run_id must match the run directory.
    write_lines(file, original);
    CHECK(verified(file, "run-a").verification.verdict == Verdict::intact);
    log = verified(file, "run-b");
    CHECK(log.verification.verdict == Verdict::tampered);
    CHECK(log.verification.broken->line == 1);
}

TEST_CASE("a deleted line is tampering at the gap") {
    TempDir dir;
    const auto file = write_run(dir.path(), "run-a", 2);
    auto lines = lines_of(file);
    lines.erase(lines.begin() + 3);  // seq 4
    write_lines(file, lines);
    const auto log = verified(file);
    CHECK(log.verification.verdict == Verdict::tampered);
    CHECK(log.verification.broken->line == 4);
    CHECK(log.verification.broken->seq == 4);
    CHECK(log.verification.broken->reason.find("seq is 5 where 4 was expected") == 0);

    // Removing the first line is no way around it.
    lines = lines_of(write_run(dir.path(), "run-b", 1));
    lines.erase(lines.begin());
    write_lines(file, lines);
    CHECK(verified(file).verification.verdict == Verdict::tampered);
    CHECK(verified(file).verification.broken->line == 1);
}

TEST_CASE("deleting lines and renumbering them still breaks the hash chain") {
    TempDir dir;
    const auto file = write_run(dir.path(), "run-a", 2);
    auto lines = lines_of(file);
    lines.erase(lines.begin() + 3);
    for (std::size_t i = 3; i < lines.size(); ++i) {
        auto j = nlohmann::ordered_json::parse(lines[i]);
        j["seq"] = i + 1;
        lines[i] = j.dump();
    }
    write_lines(file, lines);
    const auto log = verified(file);
    CHECK(log.verification.verdict == Verdict::tampered);
    CHECK(log.verification.broken->line == 4);
    CHECK(log.verification.broken->reason.find("prev is not the sha256 of line 3") == 0);
}

TEST_CASE("reordered lines are tampering") {
    TempDir dir;
    const auto file = write_run(dir.path(), "run-a", 2);
    auto lines = lines_of(file);
    std::swap(lines[8], lines[9]);
    write_lines(file, lines);
    const auto log = verified(file);
    CHECK(log.verification.verdict == Verdict::tampered);
    CHECK(log.verification.broken->line == 9);
    CHECK(log.verification.broken->seq == 9);
}

TEST_CASE("nothing but run_resumed may follow the final record") {
    TempDir dir;
    const auto file = write_run(dir.path(), "run-a", 1);
    const std::string text = read_text(file);
    const auto lines = lines_of(file);

    write_text(file, text + lines.back() + "\n");
    auto log = verified(file);
    CHECK(log.verification.verdict == Verdict::tampered);
    CHECK(log.verification.broken->line == lines.size() + 1);

    // A line cut short after the final record is what a resuming process leaves when it dies
    // in its first write: truncated, like any torn last line.
    write_text(file, text + "{\"v\":1,");
    log = verified(file);
    CHECK(log.verification.verdict == Verdict::truncated);
}

TEST_CASE("flipping any bit before the last line never leaves the log intact") {
    TempDir dir;
    const auto file = write_run(dir.path(), "run-a", 1);
    const std::string text = read_text(file);
    const auto lines = lines_of(file);
    const std::size_t covered = text.size() - lines.back().size() - 1;  // up to the last line
    REQUIRE(verified(file).verification.verdict == Verdict::intact);
    std::size_t not_intact = 0;
    for (std::size_t i = 0; i < covered; ++i) {
        std::string damaged = text;
        damaged[i] = static_cast<char>(damaged[i] ^ 0x01);
        write_text(file, damaged);
        const auto log = verified(file);
        if (log.verification.verdict != Verdict::intact)
            ++not_intact;
        else
            FAIL_CHECK("byte " << i << " changed unnoticed");
    }
    CHECK(not_intact == covered);
}
