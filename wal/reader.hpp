// Reads a WAL file as it grows: complete lines become checked records; an unfinished last line
// is held back and reported, never parsed as a record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"
#include "wal/chain.hpp"
#include "wal/record.hpp"

namespace airlock::wal {

// The last line when it cannot be a whole record: it has no newline yet, or it is not JSON.
struct TornLine {
    std::size_t line = 0;   // 1-based
    std::size_t bytes = 0;  // without a newline
    std::string reason;
};

class LogReader {
  public:
    // expected_run_id: the run directory's name when the log was found by run id.
    static Result<LogReader> open(const std::filesystem::path& file,
                                  std::optional<std::string> expected_run_id = std::nullopt);

    // Opens a log to continue it without reading it all. When the file ends with two complete
    // lines that are records linking to each other (seq, run id, prev, nothing but run_resumed
    // after a final record), the reader starts after them, as if every record up to the last
    // had been verified: earlier lines are not read, so a fault there is found only by a full
    // read (read_log, airlock wal verify). Anything else at the end (a torn line, a line that
    // is not a record, a break between the two, a log of fewer than three lines) and the
    // reader starts at the beginning, as open() does, and read_more() reads the whole log.
    static Result<LogReader> open_at_tail(const std::filesystem::path& file,
                                          std::optional<std::string> expected_run_id);

    // Reads what was appended since the last call and returns the records that became
    // complete and verified. Stops for good at the first break in the chain. With max_bytes,
    // stops after about that many bytes (whole 64 KiB reads), so a follower of a fast log holds
    // a bounded batch; more_pending() then says that the file has more.
    Result<std::vector<Record>> read_more(std::size_t max_bytes = SIZE_MAX);
    bool more_pending() const { return more_pending_; }

    // A writer holding the log's lock has just appended `own` as the line `bytes` (its newline
    // included) at offset `at`, which it found to be the end of the file: the reader takes it
    // without reading and parsing it back, and checks only its links. False (nothing changed)
    // when the reader has not read exactly up to `at`; the next read_more() then reads it.
    bool take_own_line(std::size_t bytes, const Record& own, off_t at);

    // How far into the file this reader has read (it reads at its own offset: pread).
    off_t offset() const { return offset_; }

    const std::filesystem::path& path() const { return path_; }
    int fd() const { return fd_.get(); }
    std::uint64_t records() const { return chain_.records(); }
    const std::string& run_id() const { return chain_.run_id(); }
    bool ended() const { return chain_.ended(); }  // the run's final record was read
    const std::string& final_type() const { return chain_.final_type(); }
    const std::string& last_hash() const { return chain_.last_hash(); }
    const std::optional<ChainBreak>& broken() const { return break_; }
    // What stands after the verified records if the file ended here; nullopt when nothing does.
    std::optional<TornLine> torn() const;

  private:
    LogReader(UniqueFd fd, std::filesystem::path path, std::optional<std::string> run_id);
    void take_line(std::string line, std::vector<Record>& out);

    UniqueFd fd_;
    std::filesystem::path path_;
    ChainChecker chain_;
    std::size_t lines_ = 0;               // complete lines seen
    std::string partial_;                 // bytes after the last newline
    std::optional<TornLine> unparsable_;  // a complete last line that is not JSON (yet)
    std::optional<ChainBreak> break_;
    bool more_pending_ = false;
    off_t offset_ = 0;
};

}  // namespace airlock::wal
