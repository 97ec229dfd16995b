// A run's records read back from its verified tail, newest first: what a decision taken under
// the writer's lock needs (a grant is found a few records from the tail), at a cost that does not
// grow with the run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "platform/result.hpp"
#include "wal/record.hpp"

namespace airlock::wal {

class History {
  public:
    // The log at `file`, whose last record (seq `tail_seq`, sha256 `tail_hash`) the caller has
    // verified and holds the lock on.
    History(std::filesystem::path file, std::string run_id, std::uint64_t tail_seq,
            std::string tail_hash);

    // Visits the records newest first, until `visit` returns false or the first record. The
    // first one visited must be the verified tail; each one after must be the record its
    // predecessor links to (its sha256 that one's prev, its seq one less, the same run id). A
    // break is an error naming the line: nothing is decided on a broken chain.
    Result<void> newest_first(const std::function<bool(const Record&)>& visit) const;

  private:
    std::filesystem::path file_;
    std::string run_id_;
    std::uint64_t tail_seq_;
    std::string tail_hash_;
};

}  // namespace airlock::wal
