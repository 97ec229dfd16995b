// Records as self-contained JSON lines for log shippers: each event carries its run's context.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/result.hpp"
#include "wal/record.hpp"

namespace airlock::wal {

// host, user, workspace and airlock_version from the run's run_started record (those present).
nlohmann::ordered_json run_context(const std::vector<Record>& records);

// The record's own fields with the context merged in at the top level.
nlohmann::ordered_json export_record(const Record& record, const nlohmann::ordered_json& context);

// --since: "2026-11-21", "2026-11-21T10:35:30Z" or "2026-11-21T10:35:30.123456Z" (UTC), as
// microseconds since the epoch.
Result<std::int64_t> parse_since(std::string_view text);

}  // namespace airlock::wal
