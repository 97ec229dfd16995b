#include "ui/run_index.hpp"

#include <sys/stat.h>

#include <algorithm>

#include "platform/shell_quote.hpp"
#include "wal/runs.hpp"
#include "wal/writer.hpp"

namespace airlock::ui {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

constexpr std::size_t kCommandsCap = 4096;  // searchable text kept per run
constexpr std::size_t kLogsCached = 4;

std::string text(const ojson& data, const char* key) {
    if (!data.is_object() || !data.contains(key)) return {};
    const ojson& v = data[key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return {};
    return v.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

bool is_denial(const std::string& status) {
    return status == "denied" || status == "approval_denied" || status == "sandbox_denied";
}

bool is_failure(const std::string& status) {
    return status == "failed" || status == "timeout" || status == "error" || status == "invalid";
}

}  // namespace

std::string call_text(const ojson& d) {
    if (d.contains("shell")) return text(d, "shell");
    if (d.contains("argv") && d["argv"].is_array()) {
        std::string out;
        for (const auto& arg : d["argv"]) {
            if (!out.empty()) out += ' ';
            out += shell_quote(arg.is_string()
                                   ? arg.get<std::string>()
                                   : arg.dump(-1, ' ', false, ojson::error_handler_t::replace));
        }
        return out;
    }
    const std::string path = text(d, "path");
    return path.empty() ? text(d, "tool") : text(d, "tool") + " " + path;
}

RunInfo summarize_run(std::size_t workspace, const std::string& run_id, const wal::Log& log) {
    RunInfo r;
    r.workspace = workspace;
    r.run_id = run_id;
    r.file = log.verification.path;
    r.records = log.records.size();
    bool rolled_back = false;
    for (const auto& rec : log.records) {
        const ojson& d = rec.data;
        if (rec.type == "call_received") {
            ++r.calls;
            if (r.commands.size() < kCommandsCap) {
                if (!r.commands.empty()) r.commands += '\n';
                r.commands += call_text(d).substr(0, kCommandsCap - r.commands.size());
            }
        } else if (rec.type == "approval_requested") {
            r.asked = true;
        } else if (rec.type == "floor_denied") {
            r.denied = true;
        } else if (rec.type == "call_finished") {
            const std::string status = text(d, "status");
            if (is_denial(status)) r.denied = true;
            if (is_failure(status)) r.failed = true;
        } else if (rec.type == "rollback_started" || rec.type == "rollback_finished") {
            rolled_back = true;
        } else if (rec.type == "plan_finished" && text(d, "status") == "rolled_back") {
            rolled_back = true;
        }
    }
    if (!log.records.empty()) {
        r.started = log.records.front().ts;
        r.last = log.records.back().ts;
        const auto t0 = wal::parse_record_time(r.started), t1 = wal::parse_record_time(r.last);
        if (t0 && t1) r.duration_ms = (*t1 - *t0) / 1000;
    }
    const wal::Verification& v = log.verification;
    r.chain = std::string(wal::verdict_name(v.verdict));
    r.chain_message = wal::describe(v);
    if (v.broken) r.bad_line = v.broken->line;
    if (v.torn) r.bad_line = v.torn->line;
    // The most telling outcome wins: the run's end, then what its calls met.
    if (v.final_type == "run_aborted")
        r.outcome = "aborted";
    else if (rolled_back)
        r.outcome = "rolled_back";
    else if (r.denied)
        r.outcome = "denied";
    else if (r.failed)
        r.outcome = "failed";
    else if (v.final_type.empty())
        // No final record: still going, or the verified part stops early (torn, tampered).
        r.outcome = v.verdict == wal::Verdict::incomplete ? "running" : "unknown";
    else
        r.outcome = "ok";
    return r;
}

ojson to_json(const RunInfo& r) {
    ojson j = {{"workspace", r.workspace},
               {"run_id", r.run_id},
               {"started", r.started},
               {"last", r.last},
               {"duration_ms", r.duration_ms},
               {"records", r.records},
               {"calls", r.calls},
               {"outcome", r.outcome},
               {"denied", r.denied},
               {"asked", r.asked},
               {"failed", r.failed},
               {"chain", r.chain},
               {"bad_line", r.bad_line ? ojson(*r.bad_line) : ojson()},
               {"chain_message", r.chain_message},
               {"commands", r.commands}};
    return j;
}

RunIndex::RunIndex(std::vector<fs::path> workspaces) : workspaces_(std::move(workspaces)) {}

namespace {

// Size and modification time, or nullopt when the file is gone.
std::optional<std::pair<std::uintmax_t, std::int64_t>> stat_file(const fs::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return std::nullopt;
    return std::pair{
        static_cast<std::uintmax_t>(st.st_size),
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

}  // namespace

std::vector<RunInfo> RunIndex::runs() {
    std::vector<RunInfo> out;
    std::lock_guard lock(mutex_);
    std::map<fs::path, Cached> seen;
    for (std::size_t w = 0; w < workspaces_.size(); ++w) {
        const fs::path dir = wal::runs_dir(workspaces_[w]);
        std::error_code ec;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            if (!it->is_directory(ec)) continue;
            const std::string id = it->path().filename().string();
            const fs::path file = it->path() / "events.jsonl";
            const auto st = stat_file(file);
            if (!st) continue;
            const Stamp stamp{st->first, st->second};
            auto cached = runs_.find(file);
            if (cached != runs_.end() && cached->second.stamp == stamp) {
                seen.emplace(file, cached->second);
                continue;
            }
            RunInfo info;
            if (auto log = wal::read_log(file, id)) {
                info = summarize_run(w, id, *log);
            } else {
                info.workspace = w;
                info.run_id = id;
                info.file = file;
                info.outcome = "unknown";
                info.chain = "unreadable";
                info.chain_message = log.error().describe();
            }
            seen.emplace(file, Cached{stamp, std::move(info)});
        }
    }
    runs_ = std::move(seen);  // forgets runs that were removed
    for (const auto& [file, cached] : runs_)
        out.push_back(cached.info);
    std::sort(out.begin(), out.end(), [](const RunInfo& a, const RunInfo& b) {
        if (a.started != b.started) return a.started > b.started;
        return a.run_id > b.run_id;
    });
    return out;
}

Result<fs::path> RunIndex::log_file(std::size_t workspace, const std::string& run_id) const {
    if (workspace >= workspaces_.size())
        return make_error("ui", "no workspace " + std::to_string(workspace));
    // A run id, never a path: locate_log would take a name with a slash as a file.
    if (run_id.empty() || run_id.find('/') != std::string::npos || run_id.ends_with(".jsonl") ||
        run_id == "last")
        return make_error("ui", "\"" + run_id + "\" is not a run id");
    auto where = wal::locate_log(workspaces_[workspace], run_id);
    if (!where) return where.error();
    return where->file;
}

Result<std::shared_ptr<const wal::Log>> RunIndex::log(std::size_t workspace,
                                                      const std::string& run_id) {
    auto file = log_file(workspace, run_id);
    if (!file) return file.error();
    const auto st = stat_file(*file);
    if (!st) return make_error("ui", "run \"" + run_id + "\" is gone");
    const Stamp stamp{st->first, st->second};
    {
        std::lock_guard lock(mutex_);
        auto it = logs_.find(*file);
        if (it != logs_.end() && it->second.stamp == stamp) return it->second.log;
    }
    auto read = wal::read_log(*file, run_id);
    if (!read) return read.error();
    auto shared = std::make_shared<const wal::Log>(std::move(read).value());
    std::lock_guard lock(mutex_);
    if (logs_.size() >= kLogsCached && !logs_.contains(*file)) logs_.erase(logs_.begin());
    logs_[*file] = CachedLog{stamp, shared};
    return shared;
}

}  // namespace airlock::ui
