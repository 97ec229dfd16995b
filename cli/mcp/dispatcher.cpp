#include "cli/mcp/dispatcher.hpp"

#include <exception>
#include <iostream>
#include <optional>
#include <variant>

#include "approvals/display_text.hpp"
#include "cli/mcp/tool_results.hpp"
#include "exec/tool_schema.hpp"

namespace airlock::mcp {

void Dispatcher::dispatch(const Message& m) {
    try {
        route(m);
    } catch (const std::exception& e) {
        // A bug must cost one request, not the session (and never leave children behind).
        std::cerr << "airlock serve: internal error: " << e.what() << "\n";
        if (m.kind == Message::Kind::request)
            reply_error(m.id, rpc_error::kInternalError,
                        std::string("internal error: ") + e.what());
    }
}

void Dispatcher::route(const Message& m) {
    switch (m.kind) {
        case Message::Kind::invalid:
            reply_error(m.id, m.error_code, m.error_message);
            return;
        case Message::Kind::request:
            on_request(m);
            return;
        case Message::Kind::notification:
            on_notification(m);
            return;
        case Message::Kind::response:
            if (!p_.requests.resolve(m))
                std::cerr << "airlock serve: ignoring a response to unknown request "
                          << id_key(m.id) << "\n";
            return;
    }
}

namespace {

// What of the client's own text goes into the WAL: bounded, whatever the client sent.
constexpr std::size_t kMaxRecordedText = 512;

json recorded_id(const json& id) {
    if (id.is_string() && id.get_ref<const std::string&>().size() > kMaxRecordedText)
        return "(an id of " + std::to_string(id.get_ref<const std::string&>().size()) + " bytes)";
    return id;
}

}  // namespace

void Dispatcher::reply_error(const json& id, int code, const std::string& message, json data) {
    // Every refusal is evidence: a run's WAL shows what the client sent that was not served.
    std::string clipped = message.substr(0, kMaxRecordedText);
    if (clipped.size() < message.size()) clipped += "...";
    p_.session.record_event("protocol_error", "",
                            {{"code", code}, {"id", recorded_id(id)}, {"message", clipped}});
    p_.out.send(error_response(id, code, message, std::move(data)));
}

namespace {

// A 2026-07-28 result: its type, and who answered.
json modern_result(json result) {
    result["resultType"] = "complete";
    result["_meta"] = {{meta_key::kServerInfo, server_info()}};
    return result;
}

// tools/list and server/discover do not change while airlock runs.
constexpr long long kCacheTtlMs = 3600000;

std::optional<json> progress_token_of(const json& params) {
    if (params.is_object() && params.contains("_meta") && params["_meta"].is_object() &&
        params["_meta"].contains("progressToken")) {
        const json& t = params["_meta"]["progressToken"];
        if (t.is_string() || t.is_number_integer()) return t;
    }
    return std::nullopt;
}

}  // namespace

void Dispatcher::on_request(const Message& m) {
    if (m.method == "initialize") return initialize(m);
    const RequestEra era = read_request_era(m);
    if (const auto* failure = std::get_if<RpcFailure>(&era))
        return reply_error(m.id, failure->code, failure->message, failure->data);
    if (const auto* modern = std::get_if<ModernRequest>(&era)) return on_modern_request(m, *modern);
    on_legacy_request(m);
}

void Dispatcher::on_legacy_request(const Message& m) {
    if (m.method == "ping") {
        p_.out.send(response(m.id, json::object()));
        return;
    }
    const bool tools = m.method == "tools/list" || m.method == "tools/call";
    if (!tools) {
        reply_error(m.id, rpc_error::kMethodNotFound, "method not found: " + m.method);
        return;
    }
    if (!p_.client.initialized()) {
        reply_error(m.id, rpc_error::kInvalidRequest,
                    "the session is not initialized: send initialize first (2025 revisions), or "
                    "put the protocol version and client capabilities in each request's _meta "
                    "(2026-07-28)");
        return;
    }
    if (m.method == "tools/list") {
        p_.out.send(response(m.id, tools_list_result()));
        return;
    }
    tools_call(m, nullptr);
}

void Dispatcher::on_modern_request(const Message& m, const ModernRequest& modern) {
    if (!announced_modern_) {
        announced_modern_ = true;
        std::cerr << "airlock serve: client \"" << approvals::printable(modern.client_name)
                  << "\" speaks " << modern.version
                  << " (per request; approvals as input-required results)\n";
    }
    if (m.method == "server/discover") return discover(m);
    if (m.method == "tools/list") {
        json result = modern_result(tools_list_result());
        result["ttlMs"] = kCacheTtlMs;
        result["cacheScope"] = "public";
        p_.out.send(response(m.id, std::move(result)));
        return;
    }
    if (m.method == "tools/call") return tools_call(m, &modern);
    // ping, logging/setLevel and the rest are not part of the 2026-07-28 revision.
    reply_error(m.id, rpc_error::kMethodNotFound, "method not found: " + m.method);
}

void Dispatcher::discover(const Message& m) {
    json result = modern_result({{"supportedVersions", supported_versions()},
                                 {"capabilities", {{"tools", json::object()}}},
                                 {"instructions", p_.instructions}});
    result["ttlMs"] = kCacheTtlMs;
    result["cacheScope"] = "public";
    p_.out.send(response(m.id, std::move(result)));
}

void Dispatcher::initialize(const Message& m) {
    if (p_.client.initialized()) {
        reply_error(m.id, rpc_error::kInvalidRequest, "initialize was already received");
        return;
    }
    const json& params = m.params;
    if (!params.is_object() || !params.contains("protocolVersion") ||
        !params["protocolVersion"].is_string()) {
        reply_error(m.id, rpc_error::kInvalidParams,
                    "initialize: \"protocolVersion\" (a string) is required");
        return;
    }
    const std::string version = negotiate_protocol(params["protocolVersion"]);
    p_.client.initialize(version, params.value("capabilities", json::object()),
                         params.value("clientInfo", json::object()));
    std::cerr << "airlock serve: client \"" << approvals::printable(p_.client.client_name())
              << "\" speaks " << version
              << (p_.client.can_elicit() ? ", asks approvals through elicitation"
                                         : ", no elicitation: the fallback provider answers asks")
              << "\n";
    p_.out.send(response(m.id, {{"protocolVersion", version},
                                {"capabilities", {{"tools", json::object()}}},
                                {"serverInfo", server_info()},
                                {"instructions", p_.instructions}}));
}

void Dispatcher::tools_call(const Message& m, const ModernRequest* modern) {
    const json& params = m.params;
    if (!params.is_object() || !params.contains("name") || !params["name"].is_string()) {
        reply_error(m.id, rpc_error::kInvalidParams, "tools/call: \"name\" (a string) is required");
        return;
    }
    const std::string name = params["name"];
    const json args = params.contains("arguments") ? params["arguments"] : json::object();
    const bool retry = params.contains("requestState") || params.contains("inputResponses");
    if (retry && !modern) {
        reply_error(m.id, rpc_error::kInvalidParams,
                    "tools/call: requestState and inputResponses belong to the 2026-07-28 "
                    "revision; this request carries no 2026-07-28 _meta");
        return;
    }
    if (retry) return resume_call(m, name, args);
    auto decoded = exec::decode_tool_call(name, args);
    if (!decoded) {
        (void)p_.session.reject(name, decoded.error());  // the WAL keeps refused calls too
        p_.out.send(error_response(m.id, rpc_error::kInvalidParams, decoded.error().message,
                                   {{"stage", decoded.error().stage}}));
        return;
    }
    auto call = p_.calls.add(m.id, progress_token_of(params));
    if (!call) {
        reply_error(m.id, rpc_error::kInvalidRequest, call.error().message);
        return;
    }
    if (modern) {
        (*call)->modern = true;
        (*call)->can_elicit = modern->can_elicit;
        (*call)->digest = call_digest(name, args);
    }
    const CallFacts facts = call_facts(*decoded);
    p_.workers.start([this, facts, in_flight = std::move(call).value(),
                      tool_call = std::move(decoded).value()]() mutable {
        json result;
        std::optional<std::string> failure;
        try {
            CurrentCall scope(in_flight.get());
            result = tool_call_result(
                p_.session.handle(std::move(tool_call), in_flight->cancel_fd.get()), facts,
                p_.result_text);
            if (in_flight->modern) result = modern_result(std::move(result));
        } catch (const std::exception& e) {
            std::cerr << "airlock serve: internal error: " << e.what() << "\n";
            failure = std::string("internal error: ") + e.what();
        }
        // The id the answer goes to: a call that waited for input answers the retry.
        const json id = p_.calls.remove(*in_flight);
        // Everything the call held (its cancel eventfd last) is released before the answer goes
        // out: a client that sees every answer sees no descriptor of a finished call.
        const bool cancelled = in_flight->cancelled;
        const bool parked = in_flight->parked;
        in_flight.reset();
        // A cancelled request gets no response (the client has stopped waiting for it), nor does
        // one already answered with an input-required result that no retry took over.
        if (cancelled || parked) return;
        p_.out.send(failure ? error_response(id, rpc_error::kInternalError, *failure)
                            : response(id, std::move(result)));
    });
}

// A retry of a call that asked for input: the state must be one this server issued for this
// very call, unexpired and unused; then the waiting call goes on with the answers and answers
// this request. Anything else runs nothing.
void Dispatcher::resume_call(const Message& m, const std::string& name, const json& args) {
    const json& params = m.params;
    if (!params.contains("requestState") || !params["requestState"].is_string()) {
        reply_error(m.id, rpc_error::kInvalidParams,
                    "tools/call: inputResponses without a requestState (a string): airlock "
                    "always issues one; echo it unchanged");
        return;
    }
    const json responses =
        params.contains("inputResponses") ? params["inputResponses"] : json::object();
    if (!responses.is_object()) {
        reply_error(m.id, rpc_error::kInvalidParams,
                    "tools/call: inputResponses must be an object keyed like inputRequests");
        return;
    }
    if (responses.contains("approval") &&
        (!responses["approval"].is_object() || !responses["approval"].contains("action") ||
         !responses["approval"]["action"].is_string())) {
        reply_error(m.id, rpc_error::kInvalidParams,
                    "tools/call: inputResponses.approval must be an elicitation result "
                    "({action, content})");
        return;
    }
    const auto token = progress_token_of(params);
    const auto d = p_.inputs.deliver(
        params["requestState"].get_ref<const std::string&>(), call_digest(name, args), responses,
        [&](long long wait_id) { return p_.calls.resume(wait_id, m.id, token); });
    using Kind = PendingInputs::Delivery::Kind;
    switch (d.kind) {
        case Kind::resumed:
            return;  // the waiting call answers this request
        case Kind::reissued:
            p_.out.send(response(m.id, d.input_required));
            return;
        case Kind::attach_failed:
            reply_error(m.id, rpc_error::kInvalidRequest, d.message);
            return;
        case Kind::rejected:
            break;
    }
    p_.session.record_event("request_state_rejected", "",
                            {{"reason", problem_name(d.problem)},
                             {"id", recorded_id(m.id)},
                             {"tool", name.substr(0, kMaxRecordedText)},
                             {"message", d.message}});
    p_.out.send(error_response(m.id, rpc_error::kInvalidParams, "tools/call: " + d.message,
                               {{"reason", problem_name(d.problem)}}));
}

void Dispatcher::on_notification(const Message& m) {
    if (m.method == "notifications/cancelled") {
        if (m.params.is_object() && m.params.contains("requestId"))
            p_.calls.cancel(m.params["requestId"]);
        return;
    }
    // notifications/initialized, notifications/roots/list_changed, ...: nothing to do.
}

}  // namespace airlock::mcp
