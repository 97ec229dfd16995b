#include "tests/load/call_mix.hpp"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <random>

namespace airlock::load {

std::string_view kind_name(Kind k) {
    switch (k) {
        case Kind::allowed:
            return "allowed";
        case Kind::denied:
            return "denied";
        case Kind::failing:
            return "failing";
        case Kind::written:
            return "written";
    }
    return "?";
}

std::string policy_text() {
    const json policy = {{"version", 1},
                         {"rules",
                          {{{"id", kDenyRule},
                            {"decision", "deny"},
                            {"tool", "shell_exec"},
                            {"argv", {kDeniedProgram}},
                            {"reason", "the load test's denied calls"}}}}};
    return policy.dump() + "\n";
}

Result<Mix> parse_mix(std::string_view text) {
    Mix mix;
    std::array<bool, 4> seen{};
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        const auto eq = item.find('=');
        if (eq == std::string_view::npos)
            return make_error("options", "--mix: \"" + std::string(item) + "\" is not KIND=WEIGHT");
        const std::string_view name = item.substr(0, eq);
        const std::string_view number = item.substr(eq + 1);
        const auto kind = std::find_if(kAllKinds.begin(), kAllKinds.end(),
                                       [&](Kind k) { return kind_name(k) == name; });
        if (kind == kAllKinds.end())
            return make_error("options", "--mix: unknown kind \"" + std::string(name) +
                                             "\" (allowed, denied, failing, written)");
        const auto i = static_cast<std::size_t>(*kind);
        unsigned w = 0;
        const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), w);
        if (ec != std::errc{} || end != number.data() + number.size() || w > 1000000)
            return make_error("options", "--mix: the weight of " + std::string(name) + " (\"" +
                                             std::string(number) + "\") is not a number");
        if (seen[i])
            return make_error("options", "--mix: " + std::string(name) + " is given twice");
        seen[i] = true;
        mix.weight[i] = w;
    }
    if (std::accumulate(mix.weight.begin(), mix.weight.end(), 0u) == 0)
        return make_error("options", "--mix: every weight is 0");
    return mix;
}

std::vector<Kind> plan_calls(const Mix& mix, std::size_t calls, std::uint64_t seed) {
    const double total = std::accumulate(mix.weight.begin(), mix.weight.end(), 0.0);
    std::array<std::size_t, 4> count{};
    std::size_t assigned = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        count[i] = static_cast<std::size_t>(static_cast<double>(calls) * mix.weight[i] / total);
        assigned += count[i];
    }
    std::array<std::size_t, 4> order = {0, 1, 2, 3};
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return mix.weight[a] > mix.weight[b]; });
    for (std::size_t i = 0; assigned < calls; i = (i + 1) % 4) {
        if (mix.weight[order[i]] == 0) continue;
        ++count[order[i]];
        ++assigned;
    }
    std::vector<Kind> out;
    for (std::size_t i = 0; i < 4; ++i)
        out.insert(out.end(), count[i], kAllKinds[i]);
    std::mt19937_64 rng(seed);
    std::shuffle(out.begin(), out.end(), rng);
    return out;
}

std::string call_token(std::size_t n) {
    return "load-" + std::to_string(n);
}

json call_params(Kind kind, std::size_t n) {
    const std::string token = call_token(n);
    switch (kind) {
        case Kind::allowed:
            return {{"name", "shell_exec"}, {"arguments", {{"argv", {"true", token}}}}};
        case Kind::failing:
            return {{"name", "shell_exec"}, {"arguments", {{"argv", {"false", token}}}}};
        case Kind::denied:
            return {{"name", "shell_exec"},
                    {"arguments", {{"argv", {std::string(kDeniedProgram), token}}}}};
        case Kind::written:
            // One file per token, so that a killed write cannot be confused with another.
            return {{"name", "file_write"},
                    {"arguments", {{"path", "load/" + token + ".txt"}, {"content", token + "\n"}}}};
    }
    return {};
}

std::string expected_outcome(Kind kind) {
    switch (kind) {
        case Kind::allowed:
        case Kind::written:
            return "ok exit 0";
        case Kind::failing:
            return "failed exit 1";
        case Kind::denied:
            return "denied by " + std::string(kDenyRule);
    }
    return "?";
}

std::string outcome_of(const json& response) {
    if (response.contains("error")) return "rpc-error";
    const json* sc = nullptr;
    if (response.contains("result") && response["result"].is_object() &&
        response["result"].contains("structuredContent"))
        sc = &response["result"]["structuredContent"];
    if (sc == nullptr || !sc->is_object() || !sc->contains("status") ||
        !(*sc)["status"].is_string())
        return "malformed";
    const std::string status = (*sc)["status"];
    if (status == "denied") {
        const json& d = sc->value("decision", json());
        const std::string rule = d.is_object() && d.contains("rule") && d["rule"].is_string()
                                     ? d["rule"].get<std::string>()
                                     : "?";
        return "denied by " + rule;
    }
    const json& code = sc->value("exit_code", json());
    return status + " exit " + (code.is_number_integer() ? std::to_string(code.get<int>()) : "?");
}

const std::vector<std::string>& wal_events(Kind kind) {
    static const std::vector<std::string> ran = {
        "call_received", "risk_scored",   "policy_decided", "sandbox_prepared",
        "exec_started",  "exec_finished", "call_finished"};
    static const std::vector<std::string> denied = {"call_received", "risk_scored",
                                                    "policy_decided", "call_finished"};
    static const std::vector<std::string> written = {
        "call_received", "risk_scored", "policy_decided", "file_written", "call_finished"};
    switch (kind) {
        case Kind::allowed:
        case Kind::failing:
            return ran;
        case Kind::denied:
            return denied;
        case Kind::written:
            return written;
    }
    return denied;
}

}  // namespace airlock::load
