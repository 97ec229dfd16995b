// Following a live log: records arrive as they are written; the run's end or a stop ends it.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include "wal/follow.hpp"
#include "wal/verify.hpp"
#include "wal_files.hpp"

namespace fs = std::filesystem;
using airlock::test::lines_of;
using airlock::test::TempDir;
using airlock::test::write_run;
namespace wal = airlock::wal;

namespace {

void append_raw(const fs::path& file, const std::string& bytes) {
    std::ofstream(file, std::ios::binary | std::ios::app) << bytes;
}

}  // namespace

TEST_CASE("follow hands over each record as it is written and ends with the run") {
    TempDir dir;
    auto w = wal::Writer::create(dir.path(), "run-live");
    REQUIRE(w.ok());
    REQUIRE(w->append("run_started", "", {{"host", "h"}}).ok());
    auto reader = wal::LogReader::open(w->path(), "run-live");
    REQUIRE(reader.ok());

    std::mutex m;
    std::condition_variable seen_cv;
    std::uint64_t seen = 0;
    // The writer only writes record n+1 once the follower has handed over record n, so a
    // follower that did not wait for appends could not get to the end.
    std::thread writer([&] {
        for (int i = 2; i <= 5; ++i) {
            {
                std::unique_lock lock(m);
                seen_cv.wait(lock, [&] { return seen == static_cast<std::uint64_t>(i - 1); });
            }
            const bool last = i == 5;
            CHECK(w->append(last ? "run_finished" : "call_received", last ? "" : "c1", {{"n", i}})
                      .ok());
        }
    });
    std::vector<std::uint64_t> seqs;
    auto end = wal::follow(
        *reader,
        [&](const wal::Record& r) {
            seqs.push_back(r.seq);
            std::lock_guard lock(m);
            seen = r.seq;
            seen_cv.notify_all();
        },
        -1);
    writer.join();
    REQUIRE(end.ok());
    CHECK(*end == wal::FollowEnd::finished);
    CHECK(seqs == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
    CHECK(wal::verify(*reader).verdict == wal::Verdict::intact);
}

TEST_CASE("follow stops when its stop descriptor becomes readable") {
    TempDir dir;
    const auto file = write_run(dir.path(), "run-live", 1, "");  // no final record: would wait
    auto reader = wal::LogReader::open(file);
    REQUIRE(reader.ok());
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    airlock::UniqueFd read_end(fds[0]), write_end(fds[1]);
    std::size_t records = 0;
    auto end = wal::follow(
        *reader,
        [&](const wal::Record&) {
            if (++records == 1) CHECK(::write(write_end.get(), "x", 1) == 1);
        },
        read_end.get());
    REQUIRE(end.ok());
    CHECK(*end == wal::FollowEnd::stopped);
    CHECK(records == 8);  // what was there was handed over first
}

TEST_CASE("follow ends at a break in the chain") {
    TempDir dir;
    const auto file = write_run(dir.path(), "run-live", 1, "");
    const auto lines = lines_of(file);
    append_raw(file, lines[2] + "\n");  // a replayed record
    auto reader = wal::LogReader::open(file);
    REQUIRE(reader.ok());
    std::size_t records = 0;
    auto end = wal::follow(
        *reader, [&](const wal::Record&) { ++records; }, -1);
    REQUIRE(end.ok());
    CHECK(*end == wal::FollowEnd::broken);
    CHECK(records == lines.size());
    REQUIRE(reader->broken());
    CHECK(reader->broken()->line == lines.size() + 1);
}

TEST_CASE("a line being written is held back until its newline arrives") {
    TempDir dir;
    const auto source = write_run(dir.path(), "run-src", 0);
    const auto lines = lines_of(source);
    const fs::path file = dir.path() / "growing.jsonl";
    append_raw(file, lines[0] + "\n" + lines[1].substr(0, 30));
    auto reader = wal::LogReader::open(file);
    REQUIRE(reader.ok());
    auto first = reader->read_more();
    REQUIRE(first.ok());
    CHECK(first->size() == 1);
    REQUIRE(reader->torn());
    CHECK(reader->torn()->line == 2);
    CHECK(wal::verify(*reader).verdict == wal::Verdict::truncated);

    append_raw(file, lines[1].substr(30) + "\n");
    auto second = reader->read_more();
    REQUIRE(second.ok());
    REQUIRE(second->size() == 1);
    CHECK((*second)[0].seq == 2);
    CHECK_FALSE(reader->torn());
    CHECK(wal::verify(*reader).verdict == wal::Verdict::incomplete);
}

TEST_CASE("reader: read_more with a byte budget returns bounded batches and says more is pending") {
    TempDir dir;
    const auto file = write_run(dir.path(), "20260101T000000Z-aaaaaa", 2000);  // ~1.3 MB
    auto reader = wal::LogReader::open(file, "20260101T000000Z-aaaaaa");
    REQUIRE(reader.ok());
    std::size_t batches = 0, records = 0;
    for (;;) {
        auto batch = reader->read_more(65536);
        REQUIRE(batch.ok());
        records += batch->size();
        ++batches;
        CHECK(batch->size() < 500);  // one 64 KiB read holds a few hundred records at most
        if (!reader->more_pending()) break;
    }
    CHECK(batches > 10);
    CHECK(records == 2 + 2000 * 6 + 1);
    CHECK(reader->ended());
    CHECK(wal::verify(*reader).verdict == wal::Verdict::intact);
    // Positive control: without a budget, one call reads it all.
    auto whole = wal::LogReader::open(file, "20260101T000000Z-aaaaaa");
    REQUIRE(whole.ok());
    auto all = whole->read_more();
    REQUIRE(all.ok());
    CHECK(all->size() == records);
    CHECK_FALSE(whole->more_pending());
}
