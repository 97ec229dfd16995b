#include "wal/export.hpp"

namespace airlock::wal {

nlohmann::ordered_json run_context(const std::vector<Record>& records) {
    nlohmann::ordered_json context = nlohmann::ordered_json::object();
    if (records.empty() || records.front().type != "run_started") return context;
    const auto& data = records.front().data;
    for (const char* key : {"host", "user", "workspace", "airlock_version"})
        if (data.contains(key)) context[key] = data[key];
    return context;
}

nlohmann::ordered_json export_record(const Record& r, const nlohmann::ordered_json& context) {
    nlohmann::ordered_json j;
    j["v"] = r.v;
    j["seq"] = r.seq;
    j["ts"] = r.ts;
    j["run_id"] = r.run_id;
    j["type"] = r.type;
    j["call_id"] = r.call_id;
    for (const auto& [key, value] : context.items())
        j[key] = value;
    j["data"] = r.data;
    j["prev"] = r.prev;
    j["hash"] = r.hash;  // lets the receiver check the chain without the original file
    return j;
}

Result<std::int64_t> parse_since(std::string_view text) {
    std::string ts(text);
    if (ts.size() == 10) ts += "T00:00:00Z";                            // a date
    if (ts.size() == 20 && ts.back() == 'Z') ts.insert(19, ".000000");  // whole seconds
    if (auto micros = parse_record_time(ts)) return *micros;
    return make_error("wal", "--since \"" + std::string(text) +
                                 "\" is not a UTC time like 2026-11-21, 2026-11-21T10:35:30Z "
                                 "or 2026-11-21T10:35:30.123456Z");
}

}  // namespace airlock::wal
