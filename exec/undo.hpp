// Undoing file writes from what the WAL recorded: each file_written (and each undo) event names
// the path, the digest of what it put there, and what it replaced (a blob, or absence).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/result.hpp"
#include "wal/record.hpp"

namespace airlock::exec {

struct UndoableWrite {
    std::string run_id;
    std::uint64_t seq = 0;
    std::string call_id;
    std::string path;             // relative to the workspace
    std::string written_sha256;   // what the event left there; empty when it removed the file
    nlohmann::json previous;      // {"existed", "sha256", "mode"} or {"existed": false, ...}
    std::filesystem::path blobs;  // where that run keeps its blobs
};

// The writes recorded in one run's log that this log does not show undone already, oldest
// first. `wal_file` locates the run's blobs.
std::vector<UndoableWrite> undoable_writes(const std::vector<wal::Record>& records,
                                           const std::filesystem::path& wal_file);

// Puts back what `write` replaced: the previous content with its mode, or the file's absence
// (with the directories the write created, when empty). Refuses when the file is no longer
// what the write left there (changed since: restoring would lose that change). Before changing
// anything it keeps what the undo replaces in `own_blobs`, so the undo can be undone too.
// Returns the `undo` event's data: target, path, action (restored, removed, unchanged),
// sha256 (what is there now, null when absent) and previous.
Result<nlohmann::json> undo_write(const std::filesystem::path& workspace,
                                  const UndoableWrite& write,
                                  const std::filesystem::path& own_blobs);

}  // namespace airlock::exec
