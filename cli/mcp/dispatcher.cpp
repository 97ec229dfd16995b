#include "cli/mcp/dispatcher.hpp"

#include <exception>
#include <iostream>

#include "cli/mcp/tool_results.hpp"
#include "exec/tool_schema.hpp"
#include "exec/version.hpp"

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

void Dispatcher::reply_error(const json& id, int code, const std::string& message) {
    // Every refusal is evidence: a run's WAL shows what the client sent that was not served.
    std::string clipped = message.substr(0, kMaxRecordedText);
    if (clipped.size() < message.size()) clipped += "...";
    p_.session.record_event("protocol_error", "",
                            {{"code", code}, {"id", recorded_id(id)}, {"message", clipped}});
    p_.out.send(error_response(id, code, message));
}

void Dispatcher::on_request(const Message& m) {
    if (m.method == "initialize") return initialize(m);
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
                    "the session is not initialized: send initialize first");
        return;
    }
    if (m.method == "tools/list") {
        p_.out.send(response(m.id, tools_list_result()));
        return;
    }
    tools_call(m);
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
    std::cerr << "airlock serve: client \"" << p_.client.client_name() << "\" speaks " << version
              << (p_.client.can_elicit() ? ", asks approvals through elicitation"
                                         : ", no elicitation: the fallback provider answers asks")
              << "\n";
    p_.out.send(response(m.id, {{"protocolVersion", version},
                                {"capabilities", {{"tools", json::object()}}},
                                {"serverInfo",
                                 {{"name", "airlock"},
                                  {"title", "airlock sandboxed tools"},
                                  {"version", std::string(kVersion)}}},
                                {"instructions", p_.instructions}}));
}

void Dispatcher::tools_call(const Message& m) {
    const json& params = m.params;
    if (!params.is_object() || !params.contains("name") || !params["name"].is_string()) {
        reply_error(m.id, rpc_error::kInvalidParams, "tools/call: \"name\" (a string) is required");
        return;
    }
    const std::string name = params["name"];
    const json args = params.contains("arguments") ? params["arguments"] : json::object();
    auto decoded = exec::decode_tool_call(name, args);
    if (!decoded) {
        (void)p_.session.reject(name, decoded.error());  // the WAL keeps refused calls too
        p_.out.send(error_response(m.id, rpc_error::kInvalidParams, decoded.error().message,
                                   {{"stage", decoded.error().stage}}));
        return;
    }
    std::optional<json> token;
    if (params.contains("_meta") && params["_meta"].is_object() &&
        params["_meta"].contains("progressToken")) {
        const json& t = params["_meta"]["progressToken"];
        if (t.is_string() || t.is_number_integer()) token = t;
    }
    auto call = p_.calls.add(m.id, token);
    if (!call) {
        reply_error(m.id, rpc_error::kInvalidRequest, call.error().message);
        return;
    }
    p_.workers.start([this, id = m.id, in_flight = std::move(call).value(),
                      tool_call = std::move(decoded).value()]() mutable {
        json reply;
        try {
            CurrentCall scope(in_flight.get());
            const exec::CallResult result =
                p_.session.handle(std::move(tool_call), in_flight->cancel_fd.get());
            reply = response(id, tool_call_result(result));
        } catch (const std::exception& e) {
            std::cerr << "airlock serve: internal error: " << e.what() << "\n";
            reply = error_response(id, rpc_error::kInternalError,
                                   std::string("internal error: ") + e.what());
        }
        p_.calls.remove(id);
        // Everything the call held (its cancel eventfd last) is released before the answer goes
        // out: a client that sees every answer sees no descriptor of a finished call.
        const bool cancelled = in_flight->cancelled;
        in_flight.reset();
        // A cancelled request gets no response (the client has stopped waiting for it).
        if (!cancelled) p_.out.send(reply);
    });
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
