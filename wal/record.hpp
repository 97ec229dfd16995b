// One WAL line, parsed strictly: every field present with its type, nothing else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace airlock::wal {

struct Record {
    int v = 0;
    std::uint64_t seq = 0;
    std::string ts;  // "2026-11-21T10:35:30.123456Z"
    std::string run_id;
    std::string type;
    std::string call_id;
    nlohmann::ordered_json data;  // in the order it was written
    std::string prev;             // sha256 hex of the previous line
    std::size_t line = 0;         // 1-based line number in the file
    std::string hash;             // sha256 hex of this line's bytes, without its newline
};

// Why a line is not a record. `not_json` matters to the reader: a last line that is not even
// JSON is what a cut-short write leaves; a JSON line with a wrong shape is never that.
struct LineFault {
    bool not_json = false;
    std::string reason;
};

// Parses one line (without its newline). Duplicate keys, unknown keys, missing keys, wrong
// types, an unknown format version or a malformed timestamp are faults.
std::variant<Record, LineFault> parse_record(std::string_view line);

// "YYYY-MM-DDTHH:MM:SS.ffffffZ" as microseconds since the epoch; nullopt when malformed.
std::optional<std::int64_t> parse_record_time(std::string_view ts);

// The run's last record is one of these.
bool is_final_type(std::string_view type);

}  // namespace airlock::wal
