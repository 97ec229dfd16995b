#include "ui/api.hpp"

#include <charconv>
#include <limits>
#include <optional>

#include "ui/access.hpp"

namespace airlock::ui {

using ojson = nlohmann::ordered_json;

namespace {

constexpr std::size_t kDefaultPage = 500;
constexpr std::size_t kMaxPage = 5000;

ApiResponse error(unsigned status, const std::string& message) {
    return {status, dump({{"error", message}})};
}

std::optional<std::size_t> number(std::string_view query, std::string_view name,
                                  std::size_t fallback) {
    auto s = query_param(query, name);
    if (!s) return fallback;
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), n);
    if (ec != std::errc{} || end != s->data() + s->size()) return std::nullopt;
    return n;
}

struct RunRef {
    std::size_t workspace = 0;
    std::string id;
};

std::optional<RunRef> run_ref(std::string_view query) {
    auto ws = number(query, "ws", 0);
    auto id = query_param(query, "id");
    if (!ws || !id || id->empty()) return std::nullopt;
    return RunRef{*ws, *id};
}

}  // namespace

std::string dump(const ojson& j) {
    return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

ojson record_json(const wal::Record& r) {
    return {{"seq", r.seq},   {"ts", r.ts},     {"call_id", r.call_id},
            {"type", r.type}, {"data", r.data}, {"line", r.line}};
}

ojson raw_record_json(const wal::Record& r) {
    return {{"v", r.v},       {"seq", r.seq},         {"ts", r.ts},     {"run_id", r.run_id},
            {"type", r.type}, {"call_id", r.call_id}, {"data", r.data}, {"prev", r.prev},
            {"line", r.line}, {"hash", r.hash}};
}

ApiResponse runs_response(RunIndex& index, std::string_view query) {
    const auto limit = number(query, "limit", std::numeric_limits<std::size_t>::max());
    if (!limit) return error(400, "expected an optional limit (a number)");
    const auto all = index.runs();
    ojson runs = ojson::array();
    for (std::size_t i = 0; i < all.size() && i < *limit; ++i)
        runs.push_back(to_json(all[i]));
    ojson workspaces = ojson::array();
    for (const auto& w : index.workspaces())
        workspaces.push_back(w.string());
    return {200, dump({{"workspaces", workspaces}, {"total", all.size()}, {"runs", runs}})};
}

ApiResponse run_response(RunIndex& index, std::string_view query) {
    const auto ref = run_ref(query);
    const auto from = number(query, "from", 0);
    const auto limit = number(query, "limit", kDefaultPage);
    if (!ref || !from || !limit || *limit == 0 || *limit > kMaxPage)
        return error(400, "expected ws, id, and optional from and limit (1.." +
                              std::to_string(kMaxPage) + ")");
    auto log = index.log(ref->workspace, ref->id);
    if (!log) return error(404, log.error().describe());
    const wal::Log& l = **log;
    ojson records = ojson::array();
    const std::size_t end = std::min(l.records.size(), *from + *limit);
    for (std::size_t i = *from; i < end; ++i)
        records.push_back(record_json(l.records[i]));
    const RunInfo info = summarize_run(ref->workspace, ref->id, l);
    return {200, dump({{"run", to_json(info)},
                       {"verification", wal::to_json(l.verification)},
                       {"total", l.records.size()},
                       {"from", *from},
                       {"next", end < l.records.size() ? ojson(end) : ojson()},
                       {"records", records}})};
}

ApiResponse call_response(RunIndex& index, std::string_view query) {
    const auto ref = run_ref(query);
    const auto call = query_param(query, "call");
    if (!ref || !call) return error(400, "expected ws, id and call");
    auto log = index.log(ref->workspace, ref->id);
    if (!log) return error(404, log.error().describe());
    ojson records = ojson::array();
    for (const auto& r : (*log)->records)
        if (r.call_id == *call) records.push_back(raw_record_json(r));
    return {200, dump({{"call_id", *call}, {"records", records}})};
}

ojson report_document(const RunInfo& run, const wal::Log& log) {
    ojson records = ojson::array();
    for (const auto& r : log.records)
        records.push_back(raw_record_json(r));
    return {{"run", to_json(run)},
            {"verification", wal::to_json(log.verification)},
            {"records", records}};
}

}  // namespace airlock::ui
