// The links between records: seq without gaps, one run id, each prev the hash of the line before,
// run_started first, and after a final record nothing but a run_resumed (another airlock process
// continuing the run: an agent's session is one run written by one process per tool call).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "wal/record.hpp"

namespace airlock::wal {

// The first place where the log stops being trustworthy.
struct ChainBreak {
    std::size_t line = 0;   // 1-based line in the file
    std::uint64_t seq = 0;  // the seq that line should have had
    std::string reason;
};

class ChainChecker {
  public:
    // expected_run_id: the run the log is supposed to belong to (its directory name), if known.
    explicit ChainChecker(std::optional<std::string> expected_run_id = std::nullopt);

    // Checks the next record against the ones before; nullopt when it links correctly.
    std::optional<ChainBreak> add(const Record& record);

    // Takes `record` as the last verified one without checking what came before it: a writer
    // continuing a log from its tail (LogReader::open_at_tail). False when its run id is not
    // the expected one.
    bool resume_after(const Record& record);

    std::uint64_t records() const { return records_; }
    bool ended() const { return ended_; }                          // the final record has been seen
    const std::string& final_type() const { return final_type_; }  // run_finished / run_aborted
    const std::string& run_id() const { return run_id_; }
    const std::string& last_hash() const { return last_hash_; }  // 64 zeros before any record

  private:
    std::optional<std::string> expected_run_id_;
    std::string run_id_;
    std::string last_hash_;
    std::uint64_t records_ = 0;
    bool ended_ = false;
    std::string final_type_;
};

}  // namespace airlock::wal
