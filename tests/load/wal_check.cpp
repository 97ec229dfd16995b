#include "tests/load/wal_check.hpp"

#include <fstream>

namespace airlock::load {

namespace {

struct LoggedCall {
    std::string token;
    std::vector<std::string> types;
    std::string status;
    std::string exit_code = "?";
    std::string rule = "?";
};

// The token a call carries: argv[1] of a shell_exec, the file name of a file_write.
std::string token_of(const json& data) {
    if (data.contains("argv") && data["argv"].is_array() && data["argv"].size() >= 2 &&
        data["argv"][1].is_string())
        return data["argv"][1];
    if (data.contains("path") && data["path"].is_string()) {
        std::string path = data["path"];
        const auto slash = path.rfind('/');
        if (slash != std::string::npos) path = path.substr(slash + 1);
        if (path.size() > 4 && path.ends_with(".txt")) path.resize(path.size() - 4);
        return path;
    }
    return {};
}

std::string logged_outcome(const LoggedCall& c) {
    if (c.status == "denied") return "denied by " + c.rule;
    return c.status + " exit " + c.exit_code;
}

}  // namespace

const std::vector<std::string>& run_events() {
    static const std::vector<std::string> events = {"run_started", "policy_loaded",
                                                    "approver_ready", "run_finished"};
    return events;
}

Result<WalCheck> check_wal(const std::filesystem::path& wal,
                           const std::map<std::string, SentCall>& sent, bool complete) {
    std::ifstream in(wal);
    if (!in) return make_error("wal", "cannot open the log " + wal.string());
    WalCheck check;
    std::map<std::string, LoggedCall> calls;  // by call_id
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        const json record = json::parse(line, nullptr, false);
        if (record.is_discarded() || !record.is_object()) {
            // A torn last line is `airlock wal verify`'s business; it is not a record.
            if (in.peek() == EOF) break;
            return make_error("wal", wal.string() + ":" + std::to_string(number) + ": not JSON");
        }
        ++check.records;
        const std::string call_id = record.value("call_id", "");
        if (call_id.empty()) continue;
        const std::string type = record.value("type", "");
        const json data = record.value("data", json::object());
        LoggedCall& c = calls[call_id];
        c.types.push_back(type);
        if (type == "call_received") c.token = token_of(data);
        if (type == "policy_decided" && data.contains("rule") && data["rule"].is_string())
            c.rule = data["rule"];
        if (type == "call_finished") {
            c.status = data.value("status", "");
            if (data.contains("exit_code") && data["exit_code"].is_number_integer())
                c.exit_code = std::to_string(data["exit_code"].get<int>());
        }
    }

    std::map<std::string, const LoggedCall*> by_token;
    for (const auto& [id, c] : calls) {
        if (c.token.empty() || !sent.contains(c.token)) {
            check.problems.push_back("call " + id + " in the log was never sent");
            continue;
        }
        if (!by_token.emplace(c.token, &c).second)
            check.problems.push_back(c.token + " is in the log twice");
    }

    check.expected_records = run_events().size();
    for (const auto& [token, s] : sent) {
        check.expected_records += wal_events(s.kind).size();
        if (!s.answered) {
            if (complete) check.problems.push_back(token + " was never answered");
            continue;
        }
        const auto it = by_token.find(token);
        if (it == by_token.end()) {
            check.problems.push_back(token + " (" + std::string(kind_name(s.kind)) +
                                     ") was answered \"" + s.outcome + "\" but is not in the log");
            continue;
        }
        const LoggedCall& c = *it->second;
        if (c.types != wal_events(s.kind)) {
            std::string got;
            for (const auto& t : c.types)
                got += (got.empty() ? "" : ",") + t;
            check.problems.push_back(token + ": records " + got + " are not those of a " +
                                     std::string(kind_name(s.kind)) + " call");
            continue;
        }
        if (logged_outcome(c) != s.outcome) {
            check.problems.push_back(token + ": answered \"" + s.outcome + "\" but logged \"" +
                                     logged_outcome(c) + "\"");
            continue;
        }
        ++check.answered_in_log;
    }
    if (complete && check.records != check.expected_records)
        check.problems.push_back("the log holds " + std::to_string(check.records) +
                                 " records, expected " + std::to_string(check.expected_records));
    return check;
}

}  // namespace airlock::load
