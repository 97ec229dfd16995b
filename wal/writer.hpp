// The per-run write-ahead log: hash-chained JSON lines, appended by the run's own process only.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::wal {

inline constexpr int kFormatVersion = 1;

// "<workspace>/.airlock/runs"
std::filesystem::path runs_dir(const std::filesystem::path& workspace);

// A new, unique run id: UTC time plus randomness ("20261121T103530Z-3f9a1c").
std::string new_run_id();

class Writer {
  public:
    // Creates <runs_dir>/<run_id>/events.jsonl; fails if it exists already.
    static Result<Writer> create(const std::filesystem::path& workspace, const std::string& run_id);

    // Appends one record {v, seq, ts, run_id, type, call_id, data, prev}. The line reaches the
    // kernel before this returns (it survives the death of airlock); sync() makes it durable.
    // Group commit: a sync() that finds another in flight waits for it and returns without a
    // flush of its own when that one already covered its records, so concurrent calls share
    // fdatasyncs, and appends never wait for the disk.
    Result<void> append(std::string_view type, std::string_view call_id, nlohmann::json data);
    Result<void> sync();

    // Extra redaction patterns (ECMAScript regexes, already validated) applied to every string
    // of every later record, after the built-in credential shapes.
    void set_redaction(const std::vector<std::string>& patterns);

    const std::filesystem::path& path() const { return path_; }
    const std::string& run_id() const { return run_id_; }
    std::uint64_t records() const;

    Writer(Writer&& other) noexcept;
    Writer& operator=(Writer&&) = delete;

  private:
    Writer(UniqueFd fd, std::filesystem::path path, std::string run_id);

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
};

}  // namespace airlock::wal
