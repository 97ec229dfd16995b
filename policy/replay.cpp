#include "policy/replay.hpp"

#include <algorithm>
#include <fstream>

#include "policy/call_json.hpp"

namespace airlock::policy {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

template <class OnLine>
Result<void> for_each_line(const fs::path& file, OnLine&& on_line) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return sys_error("input", file.string() + ": cannot be read", "open");
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line))
        on_line(++n, line);
    if (in.bad()) return sys_error("input", file.string() + ": read failed", "read");
    return {};
}

}  // namespace

Result<ReplayInput> read_cases(const fs::path& file) {
    ReplayInput out;
    auto r = for_each_line(file, [&](std::size_t n, const std::string& raw) {
        const std::string line = trim(raw);
        if (line.empty() || line[0] == '#' || line.rfind("//", 0) == 0) return;
        const std::string origin = file.string() + ":" + std::to_string(n);
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded()) return out.problems.push_back(origin + ": not valid JSON");
        auto call = call_from_json(j, {"expect", "name"});
        if (!call) return out.problems.push_back(origin + ": " + call.error().message);
        RecordedCall rc{*call, std::nullopt, "", origin};
        if (j.contains("expect")) {
            const auto d = j["expect"].is_string() ? parse_decision(j["expect"].get<std::string>())
                                                   : std::nullopt;
            if (!d) return out.problems.push_back(origin + ": expect: must be allow, ask or deny");
            rc.expect = d;
        }
        if (j.contains("name")) {
            if (!j["name"].is_string())
                return out.problems.push_back(origin + ": name: expected a string");
            rc.name = j["name"].get<std::string>();
        }
        out.calls.push_back(std::move(rc));
    });
    if (!r) return r.error();
    return out;
}

Result<ReplayInput> read_wal_calls(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return make_error("input", dir.string() + ": not a directory");
    std::vector<fs::path> files;
    for (fs::recursive_directory_iterator
             it(dir, fs::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().filename() == "events.jsonl")
            files.push_back(it->path());
    }
    if (ec) return make_error("input", dir.string() + ": cannot be listed: " + ec.message());
    std::sort(files.begin(), files.end());
    ReplayInput out;
    for (const auto& file : files) {
        auto r = for_each_line(file, [&](std::size_t n, const std::string& raw) {
            const std::string line = trim(raw);
            if (line.empty()) return;
            const std::string origin = file.string() + ":" + std::to_string(n);
            json j = json::parse(line, nullptr, false);
            if (j.is_discarded() || !j.is_object())
                return out.problems.push_back(origin + ": not a JSON object");
            if (!j.contains("type") || !j["type"].is_string())
                return out.problems.push_back(origin + ": no event \"type\"");
            if (j["type"] != "call_received") return;
            if (!j.contains("data"))
                return out.problems.push_back(origin + ": call_received without \"data\"");
            // Other modules may record more about a call; only what the policy sees is kept.
            const json& data = j["data"];
            if (!data.is_object())
                return out.problems.push_back(origin + ": \"data\" is not an object");
            json known = json::object();
            for (const char* key : {"tool", "argv", "shell", "path", "cwd"})
                if (data.contains(key)) known[key] = data[key];
            auto call = call_from_json(known);
            if (!call) return out.problems.push_back(origin + ": " + call.error().message);
            if (j.contains("call_id") && j["call_id"].is_string())
                call->call_id = j["call_id"].get<std::string>();
            out.calls.push_back({*call, std::nullopt, "", origin});
        });
        if (!r) return r.error();
    }
    return out;
}

DiffResult diff_policies(const PolicyStack& before, const PolicyStack& after,
                         const std::vector<RecordedCall>& calls) {
    DiffResult d;
    d.total = calls.size();
    for (const auto& rc : calls) {
        Verdict b = before.evaluate(rc.call, before.guard().assess(rc.call, before.workspace()));
        Verdict a = after.evaluate(rc.call, after.guard().assess(rc.call, after.workspace()));
        if (a.decision == b.decision) continue;
        (a.decision > b.decision ? d.stricter : d.looser)++;
        d.changes.push_back({rc, std::move(b), std::move(a)});
    }
    return d;
}

}  // namespace airlock::policy
