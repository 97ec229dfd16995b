// The runs of the workspaces `airlock ui` shows, summarised for the runs list. A run's log is
// read again only when its size or modification time changed, so listing a thousand finished
// runs a second time reads nothing but their directory entries.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/result.hpp"
#include "wal/verify.hpp"

namespace airlock::ui {

struct RunInfo {
    std::size_t workspace = 0;  // index into the index's workspaces
    std::string run_id;
    std::filesystem::path file;
    std::string started;  // ts of the first record; empty when none verified
    std::string last;     // ts of the last verified record
    std::int64_t duration_ms = 0;
    std::uint64_t records = 0;
    std::uint64_t calls = 0;
    // ok, failed, denied, rolled_back, aborted; running while the log has no final record,
    // unknown when its verified part stops early (truncated, tampered)
    std::string outcome;
    bool denied = false;  // a call was denied (policy, approval, sandbox, floor)
    bool asked = false;   // a call asked for approval
    bool failed = false;  // a call failed, timed out or could not start
    // intact, incomplete, truncated, tampered, unreadable
    std::string chain;
    std::optional<std::size_t> bad_line;  // tampered: the first bad line; truncated: the torn one
    std::string chain_message;            // wal verify's sentence, or why it is unreadable
    std::string commands;                 // the calls' commands and paths, for searching
};

// What the runs list shows of one verified log.
RunInfo summarize_run(std::size_t workspace, const std::string& run_id, const wal::Log& log);

nlohmann::ordered_json to_json(const RunInfo& run);

// The text of a call_received record: the shell line, the argv quoted, or tool and path.
std::string call_text(const nlohmann::ordered_json& data);

class RunIndex {
  public:
    explicit RunIndex(std::vector<std::filesystem::path> workspaces);

    const std::vector<std::filesystem::path>& workspaces() const { return workspaces_; }

    // Every run of every workspace, newest first.
    std::vector<RunInfo> runs();

    // The log of one run, read whole (cached while the file is unchanged). Errors name the
    // workspace index or the run id that does not exist.
    Result<std::shared_ptr<const wal::Log>> log(std::size_t workspace, const std::string& run_id);

    // Where a run's log is: validated as wal's locate_log does (no path can escape runs/).
    Result<std::filesystem::path> log_file(std::size_t workspace, const std::string& run_id) const;

  private:
    struct Stamp {
        std::uintmax_t size = 0;
        std::int64_t mtime_ns = 0;
        bool operator==(const Stamp&) const = default;
    };
    struct Cached {
        Stamp stamp;
        RunInfo info;
    };
    struct CachedLog {
        Stamp stamp;
        std::shared_ptr<const wal::Log> log;
    };

    std::vector<std::filesystem::path> workspaces_;
    std::mutex mutex_;
    std::map<std::filesystem::path, Cached> runs_;
    std::map<std::filesystem::path, CachedLog> logs_;  // a few, for paging through a run
};

}  // namespace airlock::ui
