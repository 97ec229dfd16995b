// The runs of a workspace: finding a run's log by id or path, and summarising each run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "platform/result.hpp"
#include "wal/verify.hpp"

namespace airlock::wal {

// Where a run's log is, and the run id it must carry when it was found by id.
struct LogLocation {
    std::filesystem::path file;
    std::optional<std::string> run_id;
};

// RUN_OR_PATH: with a "/" or a ".jsonl" ending, a WAL file (or a run directory holding
// events.jsonl); otherwise a run id under <workspace>/.airlock/runs/, or "last" for the newest.
Result<LogLocation> locate_log(const std::filesystem::path& workspace,
                               const std::string& run_or_path);

struct RunSummary {
    std::string run_id;
    std::filesystem::path file;
    std::string started;  // ts of run_started; empty when unreadable
    std::uint64_t calls = 0;
    std::string status;  // finished, aborted, incomplete, truncated, tampered, unreadable
    std::string error;   // why it is unreadable
};

RunSummary summarize(const std::string& run_id, const Log& log);

// Every run directory under <workspace>/.airlock/runs/, oldest first.
Result<std::vector<RunSummary>> list_runs(const std::filesystem::path& workspace);

}  // namespace airlock::wal
