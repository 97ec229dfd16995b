// The verdict on a whole WAL file: intact, incomplete, truncated or tampered.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/result.hpp"
#include "wal/reader.hpp"
#include "wal/record.hpp"

namespace airlock::wal {

enum class Verdict {
    intact,      // a valid chain that ends with run_finished or run_aborted
    incomplete,  // a valid chain without a final record: airlock stopped mid-run
    truncated,   // a valid chain followed by a torn last line: a write was cut short
    tampered,    // the chain is broken: see `broken`
};

std::string_view verdict_name(Verdict v);

// `airlock wal verify` exits with this: 0 intact, 1 incomplete, 2 truncated, 3 tampered.
int verdict_exit_status(Verdict v);
inline constexpr int kExitUnreadable = 125;  // no such run, unreadable file, bad usage

struct Verification {
    std::filesystem::path path;
    Verdict verdict = Verdict::incomplete;
    std::string run_id;                // from the records, empty when none could be read
    std::uint64_t records = 0;         // records that verified
    std::string final_type;            // run_finished / run_aborted when intact
    std::optional<ChainBreak> broken;  // when tampered
    std::optional<TornLine> torn;      // when truncated
};

// The verdict on what `reader` has read so far, taking the current end of file as the end.
Verification verify(const LogReader& reader);

// One line for people: "tampered: line 5 (seq 5): prev is not ...".
std::string describe(const Verification& v);
nlohmann::ordered_json to_json(const Verification& v);

// A whole log: the records that verified, in order, and the verdict.
struct Log {
    std::vector<Record> records;
    Verification verification;
};

Result<Log> read_log(const std::filesystem::path& file,
                     std::optional<std::string> expected_run_id = std::nullopt);

}  // namespace airlock::wal
