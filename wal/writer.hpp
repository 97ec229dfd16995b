// The per-run write-ahead log: hash-chained JSON lines, appended by the run's own process, or
// (a shared run: an agent's session) by several airlock processes in turn, under a lock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"
#include "wal/history.hpp"
#include "wal/record.hpp"

namespace airlock::wal {

inline constexpr int kFormatVersion = 1;

// "<workspace>/.airlock/runs"
std::filesystem::path runs_dir(const std::filesystem::path& workspace);

// A new, unique run id: UTC time plus randomness ("20261121T103530Z-3f9a1c").
std::string new_run_id();

// A run id given from outside (a shared run): 1 to 128 of [A-Za-z0-9._-], not starting with '.'.
Result<void> check_run_id(std::string_view run_id);

class LogReader;

class Writer {
  public:
    // Creates <runs_dir>/<run_id>/events.jsonl; fails if it exists already.
    static Result<Writer> create(const std::filesystem::path& workspace, const std::string& run_id);

    // A shared run: <runs_dir>/<run_id>/events.jsonl is created when missing; otherwise it is
    // continued. Only the tail is read: the last record must link to the one before it
    // (LogReader::open_at_tail), and earlier records are left to `airlock wal verify`, so that a
    // call costs the same however long the run is. Every append then takes an exclusive lock
    // on the file (flock), reads and verifies what other airlock processes appended since, and
    // links to their last record, so the chain stays one. A log whose tail is torn or broken is
    // refused: continuing it would bury the damage.
    static Result<Writer> open_shared(const std::filesystem::path& workspace,
                                      const std::string& run_id);
    bool shared() const { return reader_ != nullptr; }

    // A shared run's opening record for this process: run_started when the log is still empty,
    // else run_resumed. Returns the type written.
    Result<std::string> append_opening(nlohmann::json data);

    // Appends a record only if `make_data` gives one: it is asked under the lock, after
    // catching up with the other processes' records (a shared run), with the run's history read
    // back from that tail (History), so that a check of the log and the record that acts on it
    // are one step. False when it gave none; its error is returned as it is.
    using MakeData = std::function<Result<std::optional<nlohmann::json>>(const History&)>;
    Result<bool> append_if(const MakeData& make_data, std::string_view type,
                           std::string_view call_id);

    // Appends one record {v, seq, ts, run_id, type, call_id, data, prev}. The line reaches the
    // kernel before this returns (it survives the death of airlock); sync() makes it durable.
    // Group commit: a sync() that finds another in flight waits for it and returns without a
    // flush of its own when that one already covered its records, so concurrent calls share
    // fdatasyncs, and appends never wait for the disk.
    Result<void> append(std::string_view type, std::string_view call_id, nlohmann::json data);
    Result<void> sync();

    // Shared runs: from now on the file lock taken by an append is kept until the next sync()
    // (or the writer's end), so that a burst of records takes it once, not once a record. Only
    // for a process that waits on nothing between its syncs: the other processes of the run
    // wait for it meanwhile. A hook's decision is such a process; it syncs before it asks.
    void hold_lock_until_sync();

    // Extra redaction patterns (ECMAScript regexes, already validated) applied to every string
    // of every later record, after the built-in credential shapes.
    void set_redaction(const std::vector<std::string>& patterns);

    const std::filesystem::path& path() const { return path_; }
    const std::string& run_id() const { return run_id_; }
    std::uint64_t records() const;

    Writer(Writer&& other) noexcept;
    Writer& operator=(Writer&&) = delete;
    ~Writer();

  private:
    Writer(UniqueFd fd, std::filesystem::path path, std::string run_id);
    // Shared runs, called with mutex_ held and the file locked: reads the records appended since
    // the last look and takes over their seq and hash. The file's size is looked up first
    // (end_): when nothing was appended since, nothing is read.
    Result<void> catch_up();
    // Shared runs, mutex_ held: takes the file lock and catches up, unless it is held already.
    Result<void> lock_file();
    // Shared runs, mutex_ held: lets the file lock go, unless it is to be held until a sync.
    void unlock_file(bool even_if_held);
    Result<bool> append_locked(const MakeData* make_data, std::string_view type,
                               std::string_view call_id, nlohmann::json data);  // mutex_ held
    Result<bool> append_checked(const MakeData* make_data, std::string_view type,
                                std::string_view call_id, nlohmann::json data);
    Result<void> write_record(std::string_view type, std::string_view call_id,
                              nlohmann::json data);  // mutex_ held (and the file lock, if shared)

    UniqueFd fd_;
    std::filesystem::path path_;
    std::string run_id_;
    mutable std::mutex mutex_;
    std::condition_variable synced_cv_;
    std::uint64_t seq_ = 0;
    std::uint64_t synced_ = 0;  // records known to be on disk
    bool syncing_ = false;      // an fdatasync is in flight
    std::string prev_hash_;
    std::vector<std::regex> redact_;
    std::unique_ptr<LogReader> reader_;  // shared runs: follows every process's records
    off_t end_ = 0;       // shared runs, under the file lock: where the next line lands (O_APPEND)
    bool ended_ = false;  // shared runs: the last record is a final one (another process's)
    bool file_locked_ = false;  // shared runs: during an append, or until a sync (hold_lock_)
    bool hold_lock_ = false;    // hold_lock_until_sync()
};

}  // namespace airlock::wal
