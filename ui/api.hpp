// The JSON the page reads: the runs list, a run's records page by page, one call's raw records.
// Every body is built from verified WAL records and sent as data, never as markup.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ui/run_index.hpp"
#include "wal/record.hpp"

namespace airlock::ui {

struct ApiResponse {
    unsigned status = 200;
    std::string body;  // JSON
};

// GET /api/runs[?limit=N]: the newest N runs (all by default) and the total.
ApiResponse runs_response(RunIndex& index, std::string_view query = {});
// GET /api/run?ws=W&id=RUN&from=N&limit=M: records N.. (0-based), at most M (default 500).
ApiResponse run_response(RunIndex& index, std::string_view query);
// GET /api/call?ws=W&id=RUN&call=CALL: every field of each of the call's records, with its hash.
ApiResponse call_response(RunIndex& index, std::string_view query);

// A record as the page reads it: seq, ts, call_id, type, data, line.
nlohmann::ordered_json record_json(const wal::Record& record);
// Every field of the record as written, plus the line number and the line's sha256.
nlohmann::ordered_json raw_record_json(const wal::Record& record);

// A whole run for the one-file report: run, verification, records (raw: they carry their hashes).
nlohmann::ordered_json report_document(const RunInfo& run, const wal::Log& log);

// Compact JSON; bytes that are not UTF-8 become U+FFFD rather than an exception.
std::string dump(const nlohmann::ordered_json& j);

}  // namespace airlock::ui
