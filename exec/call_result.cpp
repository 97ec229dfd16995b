#include "exec/call_result.hpp"

namespace airlock::exec {

std::string_view status_name(Status status) {
    switch (status) {
        case Status::ok:
            return "ok";
        case Status::failed:
            return "failed";
        case Status::timeout:
            return "timeout";
        case Status::denied:
            return "denied";
        case Status::approval_denied:
            return "approval_denied";
        case Status::aborted:
            return "aborted";
        case Status::sandbox_denied:
            return "sandbox_denied";
        case Status::invalid:
            return "invalid";
        case Status::error:
            return "error";
        case Status::cancelled:
            return "cancelled";
    }
    return "error";
}

nlohmann::json to_json(const CallResult& r) {
    using nlohmann::json;
    json j;
    j["status"] = status_name(r.status);
    j["exit_code"] = r.exit_code;
    j["stdout"] = r.stdout_bytes;
    j["stderr"] = r.stderr_bytes;
    j["truncated"] = {{"stdout", r.stdout_truncated}, {"stderr", r.stderr_truncated}};
    if (r.stdout_dropped || r.stderr_dropped)
        j["dropped_bytes"] = {{"stdout", r.stdout_dropped}, {"stderr", r.stderr_dropped}};
    j["risk"] = r.risk ? guard::to_json(*r.risk) : json(nullptr);
    j["decision"] = r.decision ? policy::to_json(*r.decision) : json(nullptr);
    if (r.approval)
        j["approval"] = {{"provider", r.approval->provider},
                         {"decision", r.approval->decision},
                         {"key", r.approval->key},
                         {"from_session_cache", r.approval->from_session_cache}};
    j["sandbox"] = r.sandbox;
    if (!r.stage.empty()) j["stage"] = r.stage;
    if (!r.message.empty()) j["message"] = r.message;
    if (!r.decided.empty()) {
        j["decided"] = r.decided;
        j["call_id"] = r.call_id;
        if (!r.grant.empty()) j["grant"] = r.grant;
    }
    j["run_id"] = r.run_id;
    j["wal"] = r.wal.string();
    j["duration_ms"] = static_cast<long long>(r.seconds * 1000);
    return j;
}

std::string block_message(const CallResult& r) {
    switch (r.status) {
        case Status::denied:
            return "airlock: denied by policy rule \"" + (r.decision ? r.decision->rule : "") +
                   "\": " + r.message;
        case Status::approval_denied:
            return "airlock: approval denied: " + r.message;
        case Status::aborted:
            return "airlock: run aborted: " + r.message;
        case Status::sandbox_denied:
            return "airlock: sandbox unavailable: " + r.message;
        case Status::invalid:
            return "airlock: invalid input: " + r.message;
        case Status::error:
            return "airlock: error in " + r.stage + ": " + r.message;
        case Status::timeout:
            return "airlock: timed out: " + r.message;
        case Status::failed:
            if (r.exit_code == kExitNotFound || r.exit_code == kExitBlocked)
                return "airlock: " + r.message;
            return {};
        case Status::cancelled:
            return "airlock: cancelled: " + r.message;
        case Status::ok:
            return {};
    }
    return {};
}

}  // namespace airlock::exec
