#include "wal/verify.hpp"

namespace airlock::wal {

std::string_view verdict_name(Verdict v) {
    switch (v) {
        case Verdict::intact:
            return "intact";
        case Verdict::incomplete:
            return "incomplete";
        case Verdict::truncated:
            return "truncated";
        case Verdict::tampered:
            return "tampered";
    }
    return "tampered";
}

int verdict_exit_status(Verdict v) {
    switch (v) {
        case Verdict::intact:
            return 0;
        case Verdict::incomplete:
            return 1;
        case Verdict::truncated:
            return 2;
        case Verdict::tampered:
            return 3;
    }
    return 3;
}

Verification verify(const LogReader& reader) {
    Verification v;
    v.path = reader.path();
    v.run_id = reader.run_id();
    v.records = reader.records();
    if (reader.broken()) {
        v.verdict = Verdict::tampered;
        v.broken = reader.broken();
    } else if (auto torn = reader.torn()) {
        v.verdict = Verdict::truncated;
        v.torn = std::move(torn);
    } else if (reader.ended()) {
        v.verdict = Verdict::intact;
        v.final_type = reader.final_type();
    } else {
        v.verdict = Verdict::incomplete;
    }
    return v;
}

std::string describe(const Verification& v) {
    const std::string count = std::to_string(v.records) + (v.records == 1 ? " record" : " records");
    switch (v.verdict) {
        case Verdict::intact:
            return "intact: " + count + " in an unbroken chain, ending with " + v.final_type;
        case Verdict::incomplete:
            return "incomplete: " + count +
                   " in an unbroken chain, but no run_finished or run_aborted: the run is "
                   "still going, or airlock stopped before it ended";
        case Verdict::truncated:
            return "truncated: " + count + " in an unbroken chain, then line " +
                   std::to_string(v.torn->line) + " (" + std::to_string(v.torn->bytes) +
                   " bytes) is torn: " + v.torn->reason;
        case Verdict::tampered:
            return "tampered: line " + std::to_string(v.broken->line) + " (seq " +
                   std::to_string(v.broken->seq) + "): " + v.broken->reason + "; " + count +
                   " before it verified";
    }
    return "tampered";
}

nlohmann::ordered_json to_json(const Verification& v) {
    nlohmann::ordered_json j;
    j["path"] = v.path.string();
    j["run_id"] = v.run_id;
    j["verdict"] = verdict_name(v.verdict);
    j["exit_status"] = verdict_exit_status(v.verdict);
    j["records"] = v.records;
    j["final"] =
        v.final_type.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(v.final_type);
    if (v.broken)
        j["broken"] = {
            {"line", v.broken->line}, {"seq", v.broken->seq}, {"reason", v.broken->reason}};
    if (v.torn)
        j["torn"] = {{"line", v.torn->line}, {"bytes", v.torn->bytes}, {"reason", v.torn->reason}};
    j["message"] = describe(v);
    return j;
}

Result<Log> read_log(const std::filesystem::path& file, std::optional<std::string> run_id) {
    auto reader = LogReader::open(file, std::move(run_id));
    if (!reader) return reader.error();
    Log log;
    auto records = reader->read_more();
    if (!records) return records.error();
    log.records = std::move(records).value();
    log.verification = verify(*reader);
    return log;
}

}  // namespace airlock::wal
