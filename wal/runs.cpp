#include "wal/runs.hpp"

#include <algorithm>
#include <fstream>
#include <utility>

#include "wal/writer.hpp"

namespace airlock::wal {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLogName = "events.jsonl";

// A run id names a directory directly below runs/: nothing that could point elsewhere.
bool plausible_run_id(const std::string& s) {
    return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos &&
           s.find('\0') == std::string::npos;
}

// The ts of a log's first record, or "" when it has none: orders runs started in one second.
std::string first_ts(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::string line;
    if (!std::getline(in, line) || in.eof()) return {};
    auto parsed = parse_record(line);
    if (auto* r = std::get_if<Record>(&parsed)) return r->ts;
    return {};
}

// Oldest first: by the first record's time, then by id.
Result<std::vector<std::string>> run_ids(const fs::path& workspace) {
    std::vector<std::string> ids;
    const fs::path dir = runs_dir(workspace);
    std::error_code ec;
    if (!fs::exists(dir, ec)) return ids;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_directory(ec)) ids.push_back(it->path().filename().string());
    if (ec) return make_error("wal", "cannot list " + dir.string() + ": " + ec.message());
    std::vector<std::pair<std::string, std::string>> keyed;
    for (auto& id : ids)
        keyed.emplace_back(first_ts(dir / id / kLogName), std::move(id));
    std::sort(keyed.begin(), keyed.end());
    ids.clear();
    for (auto& [ts, id] : keyed)
        ids.push_back(std::move(id));
    return ids;
}

}  // namespace

Result<LogLocation> locate_log(const fs::path& workspace, const std::string& arg) {
    std::error_code ec;
    // Predictable, whatever lies in the current directory: a path has a slash or a .jsonl name.
    if (arg.find('/') != std::string::npos || arg.ends_with(".jsonl")) {
        const fs::path p(arg);
        if (fs::is_directory(p, ec)) {
            if (fs::is_regular_file(p / kLogName, ec)) return LogLocation{p / kLogName, {}};
            return make_error("wal", "directory " + arg + " holds no " + kLogName);
        }
        if (fs::is_regular_file(p, ec)) return LogLocation{p, {}};
        return make_error("wal", "no WAL file " + arg);
    }
    std::string id = arg;
    if (id == "last") {
        auto ids = run_ids(workspace);
        if (!ids) return ids.error();
        if (ids->empty()) return make_error("wal", "no runs under " + runs_dir(workspace).string());
        id = ids->back();
    }
    if (!plausible_run_id(id)) return make_error("wal", "\"" + id + "\" is not a run id");
    const fs::path file = runs_dir(workspace) / id / kLogName;
    if (!fs::is_regular_file(file, ec))
        return make_error("wal", "no run \"" + id + "\" under " + runs_dir(workspace).string());
    return LogLocation{file, id};
}

RunSummary summarize(const std::string& run_id, const Log& log) {
    RunSummary s;
    s.run_id = run_id;
    s.file = log.verification.path;
    if (!log.records.empty()) s.started = log.records.front().ts;
    for (const auto& r : log.records)
        if (r.type == "call_received") ++s.calls;
    const Verification& v = log.verification;
    if (v.verdict == Verdict::intact)
        s.status = v.final_type == "run_aborted" ? "aborted" : "finished";
    else
        s.status = std::string(verdict_name(v.verdict));
    return s;
}

Result<std::vector<RunSummary>> list_runs(const fs::path& workspace) {
    auto ids = run_ids(workspace);
    if (!ids) return ids.error();
    std::vector<RunSummary> out;
    for (const auto& id : *ids) {
        const fs::path file = runs_dir(workspace) / id / kLogName;
        auto log = read_log(file, id);
        if (!log) {
            RunSummary s;
            s.run_id = id;
            s.file = file;
            s.status = "unreadable";
            s.error = log.error().describe();
            out.push_back(std::move(s));
            continue;
        }
        out.push_back(summarize(id, *log));
    }
    return out;
}

}  // namespace airlock::wal
