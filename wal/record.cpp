#include "wal/record.hpp"

#include <ctime>
#include <set>
#include <vector>

#include "platform/sha256.hpp"
#include "wal/writer.hpp"

namespace airlock::wal {

namespace {

using ojson = nlohmann::ordered_json;

constexpr const char* kFields[] = {"v", "seq", "ts", "run_id", "type", "call_id", "data", "prev"};

bool all_digits(std::string_view s) {
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return !s.empty();
}

int number(std::string_view s) {
    int n = 0;
    for (char c : s)
        n = n * 10 + (c - '0');
    return n;
}

bool is_hex64(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

bool is_type_name(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

LineFault fault(std::string reason) {
    return LineFault{false, std::move(reason)};
}

// Parses JSON and notes whether any object repeats a key: two parsers could read such a line
// differently, so the log never holds one.
std::variant<ojson, LineFault> parse_json(std::string_view line) {
    std::vector<std::set<std::string>> keys;
    std::string duplicate;
    ojson::parser_callback_t watch = [&](int, nlohmann::json::parse_event_t event, ojson& parsed) {
        using E = nlohmann::json::parse_event_t;
        if (event == E::object_start) {
            keys.emplace_back();
        } else if (event == E::object_end) {
            if (!keys.empty()) keys.pop_back();
        } else if (event == E::key && !keys.empty()) {
            const std::string key = parsed.get<std::string>();
            if (!keys.back().insert(key).second && duplicate.empty()) duplicate = key;
        }
        return true;
    };
    ojson j;
    try {
        j = ojson::parse(line.begin(), line.end(), watch);
    } catch (const nlohmann::json::parse_error& e) {
        return LineFault{true, std::string("not valid JSON: ") + e.what()};
    } catch (const nlohmann::json::exception& e) {
        // e.g. a number too large for a double (out_of_range 406): found by fuzzing.
        return LineFault{true, std::string("not valid JSON: ") + e.what()};
    }
    if (!duplicate.empty()) return fault("key \"" + duplicate + "\" appears twice in one object");
    return j;
}

}  // namespace

bool is_final_type(std::string_view type) {
    return type == "run_finished" || type == "run_aborted";
}

std::optional<std::int64_t> parse_record_time(std::string_view ts) {
    // 0123456789012345678901234567
    // 2026-11-21T10:35:30.123456Z
    if (ts.size() != 27 || ts[4] != '-' || ts[7] != '-' || ts[10] != 'T' || ts[13] != ':' ||
        ts[16] != ':' || ts[19] != '.' || ts[26] != 'Z')
        return std::nullopt;
    const std::string_view year = ts.substr(0, 4), month = ts.substr(5, 2), day = ts.substr(8, 2),
                           hour = ts.substr(11, 2), minute = ts.substr(14, 2),
                           second = ts.substr(17, 2), micros = ts.substr(20, 6);
    for (auto part : {year, month, day, hour, minute, second, micros})
        if (!all_digits(part)) return std::nullopt;
    std::tm tm{};
    tm.tm_year = number(year) - 1900;
    tm.tm_mon = number(month) - 1;
    tm.tm_mday = number(day);
    tm.tm_hour = number(hour);
    tm.tm_min = number(minute);
    tm.tm_sec = number(second);
    const std::tm asked = tm;
    const std::time_t secs = ::timegm(&tm);
    // timegm normalises 2026-02-31 to March: a date that moved was not a date.
    if (tm.tm_year != asked.tm_year || tm.tm_mon != asked.tm_mon || tm.tm_mday != asked.tm_mday ||
        tm.tm_hour != asked.tm_hour || tm.tm_min != asked.tm_min || tm.tm_sec != asked.tm_sec)
        return std::nullopt;
    return static_cast<std::int64_t>(secs) * 1000000 + number(micros);
}

std::variant<Record, LineFault> parse_record(std::string_view line) {
    auto parsed = parse_json(line);
    if (auto* f = std::get_if<LineFault>(&parsed)) return *f;
    const ojson& j = std::get<ojson>(parsed);
    if (!j.is_object()) return fault("the line is JSON but not an object");
    for (const auto& [key, value] : j.items()) {
        bool known = false;
        for (const char* field : kFields)
            known = known || key == field;
        if (!known) return fault("unknown field \"" + key + "\"");
    }
    for (const char* field : kFields)
        if (!j.contains(field)) return fault(std::string("field \"") + field + "\" is missing");

    Record r;
    const ojson& v = j["v"];
    if (!v.is_number_integer()) return fault("field \"v\" is not an integer");
    if (v.get<std::int64_t>() != kFormatVersion)
        return fault("format version " + v.dump() + " is not supported (this airlock reads " +
                     std::to_string(kFormatVersion) + ")");
    r.v = kFormatVersion;

    const ojson& seq = j["seq"];
    if (!seq.is_number_unsigned() || seq.get<std::uint64_t>() == 0)
        return fault("field \"seq\" is not a positive integer");
    r.seq = seq.get<std::uint64_t>();

    for (const char* field : {"ts", "run_id", "type", "call_id", "prev"})
        if (!j[field].is_string())
            return fault(std::string("field \"") + field + "\" is not a string");
    r.ts = j["ts"].get<std::string>();
    if (!parse_record_time(r.ts))
        return fault("field \"ts\" is not a UTC time like 2026-11-21T10:35:30.123456Z");
    r.run_id = j["run_id"].get<std::string>();
    if (r.run_id.empty()) return fault("field \"run_id\" is empty");
    r.type = j["type"].get<std::string>();
    if (!is_type_name(r.type)) return fault("field \"type\" is not an event name");
    r.call_id = j["call_id"].get<std::string>();
    r.prev = j["prev"].get<std::string>();
    if (!is_hex64(r.prev)) return fault("field \"prev\" is not 64 lowercase hex digits");
    if (!j["data"].is_object()) return fault("field \"data\" is not an object");
    r.data = j["data"];
    r.hash = sha256_hex(line);
    return r;
}

}  // namespace airlock::wal
