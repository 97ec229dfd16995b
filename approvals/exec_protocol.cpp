#include "approvals/exec_protocol.hpp"

namespace airlock::approvals {

namespace {

constexpr std::size_t kMaxReason = 500;

ApprovalAnswer malformed(const std::string& provider, const std::string& what) {
    return {ApprovalDecision::denied, "approval program gave a malformed answer: " + what, provider,
            0};
}

}  // namespace

nlohmann::json request_document(const ApprovalRequest& request) {
    const ToolCall& call = request.call;
    if (request.network) {
        // A destination of a running call: the host and port, and the call they belong to.
        return {{"version", kExecProtocolVersion},
                {"call_id", call.call_id},
                {"tool", "network"},
                {"request", network_request(*request.network)},
                {"for_call",
                 {{"tool", std::string(tool_name(call.tool))}, {"program", program_of(call)}}},
                {"policy",
                 {{"decision", std::string(policy::decision_name(request.verdict.decision))},
                  {"rule", request.verdict.rule},
                  {"reason", request.verdict.reason}}},
                {"key", request.key}};
    }
    auto reasons = nlohmann::json::array();
    for (const auto& r : request.risk.reasons) {
        reasons.push_back({{"id", r.id},
                           {"level", std::string(guard::level_name(r.level))},
                           {"message", r.message}});
    }
    return {{"version", kExecProtocolVersion},
            {"call_id", call.call_id},
            {"tool", std::string(tool_name(call.tool))},
            {"request", sanitized_request(call, request.env_keys)},
            {"cwd", call.cwd == "." || call.cwd == "./" ? std::string() : call.cwd},
            {"risk",
             {{"level", std::string(guard::level_name(request.risk.level))},
              {"score", request.risk.score},
              {"reasons", reasons}}},
            {"policy",
             {{"decision", std::string(policy::decision_name(request.verdict.decision))},
              {"rule", request.verdict.rule},
              {"reason", request.verdict.reason}}},
            {"key", request.key}};
}

ApprovalAnswer parse_exec_answer(std::string_view output, const std::string& provider) {
    const auto answer = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
    if (answer.is_discarded()) {
        if (output.find_first_not_of(" \t\r\n") == std::string_view::npos)
            return malformed(provider, "nothing on stdout");
        return malformed(provider, "stdout is not one JSON value");
    }
    if (!answer.is_object()) return malformed(provider, "expected a JSON object");
    for (const auto& item : answer.items()) {
        if (item.key() != "decision" && item.key() != "reason")
            return malformed(provider, "unknown field \"" + item.key() + "\"");
    }
    const auto decision_it = answer.find("decision");
    if (decision_it == answer.end()) return malformed(provider, "missing \"decision\"");
    if (!decision_it->is_string()) return malformed(provider, "\"decision\" is not a string");
    const auto decision = parse_decision(decision_it->get<std::string>());
    if (!decision) {
        return malformed(provider, "unknown decision \"" + decision_it->get<std::string>() +
                                       "\" (approved, approved_for_session, denied, abort, "
                                       "timed_out)");
    }
    std::string reason;
    if (const auto reason_it = answer.find("reason"); reason_it != answer.end()) {
        if (!reason_it->is_string()) return malformed(provider, "\"reason\" is not a string");
        reason = reason_it->get<std::string>();
        if (reason.size() > kMaxReason) {
            // Cut on a UTF-8 character boundary so the reason stays valid text.
            std::size_t cut = kMaxReason;
            while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80)
                --cut;
            reason = reason.substr(0, cut) + "...";
        }
    }
    if (reason.empty()) reason = "approval program gave no reason";
    return {*decision, reason, provider, 0};
}

}  // namespace airlock::approvals
