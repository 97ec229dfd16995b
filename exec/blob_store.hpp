// What a file_write replaced, kept so that the write can be undone: the previous content as a
// content-addressed blob in the run directory (<run>/blobs/<sha256>, mode 0600), its mode, or
// its absence. The WAL holds only the digest.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "platform/result.hpp"

namespace airlock::exec {

// "<run directory>/blobs"
std::filesystem::path blobs_dir(const std::filesystem::path& wal_file);

// Stores `content` as <dir>/<sha256> (created 0700 / 0600, atomically; kept if present).
Result<std::string> store_blob(const std::filesystem::path& dir, std::string_view content);

// Loads <dir>/<sha256> and checks that its content still has that digest.
Result<std::string> load_blob(const std::filesystem::path& dir, const std::string& sha256);

// Keeps what a write of `relative` (validated, beneath `workspace`) would replace and describes
// it for the WAL: {"existed": true, "sha256", "size", "mode": "0644"} or
// {"existed": false, "created_dir"?: the first parent directory the write will create}.
Result<nlohmann::json> keep_previous(const std::filesystem::path& workspace,
                                     const std::filesystem::path& relative,
                                     const std::filesystem::path& blobs);

}  // namespace airlock::exec
